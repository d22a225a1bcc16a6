#include "cpu/cross_covariance_cache.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "amf/error.hpp"
#include "core/system_memory.hpp"
#include "cpu/score_pair.hpp"
#include "prep/parallel.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

constexpr Eigen::Index kGroupRows = 256;  // stacked rows per parallel task of a pick's correction

}  // namespace

namespace {

Eigen::Index columns_of(const std::vector<CrossCovarianceCache::Columns>& columns, std::size_t q, Eigen::Index M) {
  return columns.empty() ? M : columns[q].second;
}

// A pair's first-pass blocks: its T x cols cross-covariance and its T x T Gram.
std::int64_t pair_block_bytes(std::int64_t T, std::int64_t cols) {
  return static_cast<std::int64_t>(sizeof(double)) * T * (cols + T);
}

}  // namespace

CrossCovarianceCache::CrossCovarianceCache(const std::vector<CandidatePair>& pairs,
                                           const std::vector<Eigen::Index>& steps, Eigen::Index M,
                                           const std::vector<Columns>& columns)
    : M_(M) {
  if (pairs.size() != steps.size() || !(columns.empty() || columns.size() == pairs.size()))
    throw Error("cross-covariance cache: one length (and column range) per kept pair expected");
  pairs_.reserve(pairs.size());
  Eigen::Index row = 0;
  std::int64_t gram = 0, cross = 0;
  for (std::size_t q = 0; q < pairs.size(); ++q) {
    const Columns c = columns.empty() ? Columns{0, M} : columns[q];
    if (c.first < 0 || c.second < 0 || c.first + c.second > M)
      throw Error("cross-covariance cache: a pair's target columns are outside the targets");
    pairs_.push_back(Pair{pairs[q].candidate, pairs[q].trajectory, pairs[q].weight, row, steps[q], gram, cross,
                          c.first, c.second});
    row += steps[q];
    gram += static_cast<std::int64_t>(steps[q]) * steps[q];
    cross += static_cast<std::int64_t>(steps[q]) * c.second;
  }
  for (std::size_t q0 = 0; q0 < pairs_.size();) {
    std::size_t q1 = q0 + 1;
    while (q1 < pairs_.size() && pairs_[q1].first_row + pairs_[q1].steps - pairs_[q0].first_row <= kGroupRows) ++q1;
    groups_.emplace_back(q0, q1);
    q0 = q1;
  }
  C_.assign(static_cast<std::size_t>(cross), 0.0);
  V_.resize(row, 0);
  G_.assign(static_cast<std::size_t>(gram), 0.0);
}

std::int64_t CrossCovarianceCache::first_pass_bytes(const std::vector<Eigen::Index>& steps, Eigen::Index M,
                                                    const std::vector<Columns>& columns) {
  std::int64_t bytes = 0;
  for (std::size_t q = 0; q < steps.size(); ++q) bytes += pair_block_bytes(steps[q], columns_of(columns, q, M));
  return bytes;
}

std::size_t CrossCovarianceCache::pairs_within(const std::vector<Eigen::Index>& steps, Eigen::Index M,
                                               const std::vector<Columns>& columns, std::int64_t row_bytes,
                                               std::int64_t budget) {
  std::int64_t bytes = 0;
  for (std::size_t q = 0; q < steps.size(); ++q) {
    const std::int64_t T = steps[q];
    bytes += pair_block_bytes(T, columns_of(columns, q, M)) + row_bytes * T;
    if (bytes > budget) return q;
  }
  return steps.size();
}

std::int64_t CrossCovarianceCache::bytes_after_pick(Eigen::Index pick_steps) const {
  return static_cast<std::int64_t>(sizeof(double)) *
         (static_cast<std::int64_t>(C_.size()) + static_cast<std::int64_t>(G_.size()) +
          static_cast<std::int64_t>(V_.rows()) * (V_.cols() + pick_steps));
}

void CrossCovarianceCache::keep_first(std::size_t kept) {
  if (kept >= pairs_.size()) return;
  const Eigen::Index rows = kept > 0 ? pairs_[kept - 1].first_row + pairs_[kept - 1].steps : 0;
  const Pair* last = kept > 0 ? &pairs_[kept - 1] : nullptr;
  const std::int64_t gram = last ? last->gram_offset + last->steps * last->steps : 0;
  const std::int64_t cross = last ? last->cross_offset + last->steps * last->cols : 0;
  pairs_.resize(kept);
  while (!groups_.empty() && groups_.back().first >= kept) groups_.pop_back();
  if (!groups_.empty()) groups_.back().second = std::min(groups_.back().second, kept);
  // Copies rather than resizing in place, so that the memory is given back.
  std::vector<double>(C_.begin(), C_.begin() + cross).swap(C_);
  Eigen::MatrixXd V = V_.topRows(rows);
  V_.swap(V);
  std::vector<double>(G_.begin(), G_.begin() + gram).swap(G_);
}

std::size_t CrossCovarianceCache::pairs_fitting_after_pick(Eigen::Index pick_steps, std::int64_t other_row_bytes,
                                                          std::int64_t budget) const {
  const std::int64_t per_row = static_cast<std::int64_t>(sizeof(double)) * (V_.cols() + pick_steps) + other_row_bytes;
  std::int64_t bytes = 0;
  for (std::size_t q = 0; q < pairs_.size(); ++q) {
    const std::int64_t T = pairs_[q].steps;
    bytes += pair_block_bytes(T, pairs_[q].cols) + per_row * T;
    if (bytes > budget) return q;
  }
  return pairs_.size();
}

std::optional<std::size_t> CrossCovarianceCache::find(std::int64_t candidate, std::int64_t trajectory) const {
  // Pairs are in candidate order, trajectories ascending within a candidate.
  const auto it = std::lower_bound(pairs_.begin(), pairs_.end(), std::make_pair(candidate, trajectory),
                                   [](const Pair& p, const std::pair<std::int64_t, std::int64_t>& key) {
                                     return std::make_pair(p.candidate, p.trajectory) < key;
                                   });
  if (it == pairs_.end() || it->candidate != candidate || it->trajectory != trajectory) return std::nullopt;
  return static_cast<std::size_t>(it - pairs_.begin());
}

std::vector<double> CrossCovarianceCache::pair_blocks(std::size_t q) const {
  const Pair& p = pairs_[q];
  const Eigen::Index T = p.steps, M = M_, m = V_.cols();
  std::vector<double> out(static_cast<std::size_t>(T * (T + M + m)), 0.0);
  std::copy_n(G_.data() + p.gram_offset, T * T, out.data());
  Eigen::Map<RowMatrix>(out.data() + T * T, T, M).middleCols(p.col0, p.cols) =
      Eigen::Map<const RowMatrix>(C_.data() + p.cross_offset, T, p.cols);
  Eigen::Map<RowMatrix>(out.data() + T * (T + M), T, m) = V_.middleRows(p.first_row, T);
  return out;
}

void CrossCovarianceCache::condition(const Eigen::MatrixXd& Bt, const Eigen::MatrixXd& Ck, const RowMatrix& W,
                                     const BaseCrossCovariance& base_cross, int threads) {
  const Eigen::Index m = V_.cols(), TP = Ck.rows();
  if (Bt.rows() != TP || Bt.cols() != m || W.rows() != TP || W.cols() != M_)
    throw Error("cross-covariance cache: a pick's factor rows do not match the cache");
  V_.conservativeResize(Eigen::NoChange, m + TP);
  const auto upper = Ck.transpose().triangularView<Eigen::Upper>();
  parallel_for_with<Eigen::MatrixXd>(static_cast<std::int64_t>(groups_.size()), threads,
                                     [&](Eigen::MatrixXd& v, std::int64_t g) {
    const auto [q0, q1] = groups_[g];
    const Eigen::Index r0 = pairs_[q0].first_row, n = pairs_[q1 - 1].first_row + pairs_[q1 - 1].steps - r0;
    // v = (k_base(X, P) - V_X Bt^T) Ck^-T: the pick's rows of the steps' projection, one row per step.
    base_cross(r0, n, v);
    if (m > 0) v.noalias() -= V_.block(r0, 0, n, m) * Bt.transpose();
    upper.solveInPlace<Eigen::OnTheRight>(v);
    // Pairs that keep every column lie in C_ as consecutive rows of M: one GEMM for the group.
    const bool all_columns = std::all_of(pairs_.begin() + q0, pairs_.begin() + q1,
                                         [&](const Pair& p) { return p.col0 == 0 && p.cols == M_; });
    if (all_columns)
      Eigen::Map<RowMatrix>(C_.data() + pairs_[q0].cross_offset, n, M_).noalias() -= v * W;
    for (std::size_t q = q0; q < q1; ++q) {
      const auto vq = v.middleRows(pairs_[q].first_row - r0, pairs_[q].steps);
      if (!all_columns && pairs_[q].cols > 0)
        cross(q).noalias() -= vq * W.middleCols(pairs_[q].col0, pairs_[q].cols);
      gram(q).noalias() -= vq * vq.transpose();
    }
    V_.block(r0, m, n, TP) = v;
  });
}

PassScores CrossCovarianceCache::score(const Eigen::VectorXd& prior, const std::vector<double>& omega, double floor,
                                       double noise, std::int64_t first_candidate, std::int64_t range_size,
                                       std::atomic<int>& jittered, int threads, bool with_gain) const {
  // Pairs that keep a range of columns explain nothing of the others: per distinct range, the
  // sum of sum_z omega_z log v_z over the columns outside it (their gain terms are 0).
  std::map<Columns, double> outside;
  for (const Pair& p : pairs_)
    if (p.cols < M_) outside.emplace(Columns{p.col0, p.cols}, 0.0);
  if (!outside.empty()) {
    const Eigen::ArrayXd nothing = Eigen::ArrayXd::Zero(M_);
    for (auto& [c, sum] : outside) {
      add_log_variance_sums(prior.data(), nothing.data(), omega.data(), c.first, floor, &sum, nullptr);
      const Eigen::Index end = c.first + c.second;
      add_log_variance_sums(prior.data() + end, nothing.data(), omega.data() + end, M_ - end, floor, &sum, nullptr);
    }
  }
  std::vector<double> pair_J(pairs_.size()), pair_gain(pairs_.size());
  struct Scratch {
    RowMatrix G, L, S;
    Eigen::ArrayXd sq;
  };
  auto score_pair_at = [&](Scratch& s, std::size_t q) {
    const Pair& p = pairs_[q];
    const Eigen::Index T = p.steps;
    double j_sum = p.cols < M_ ? outside.at(Columns{p.col0, p.cols}) : 0.0, g_sum = 0;
    if (p.cols > 0) {
      const Eigen::Map<const RowMatrix> C(C_.data() + p.cross_offset, T, p.cols);
      const double g1 = G_[p.gram_offset] + noise;
      if (T == 1 && g1 > 0 && std::isfinite(g1)) {
        // One step (activeft's setting): explained_z = C_z^2 / (k(x, x) + sigma^2), no factor.
        s.sq = C.row(0).array().square() / g1;
      } else {
        s.G = Eigen::Map<const RowMatrix>(G_.data() + p.gram_offset, T, T);
        s.G.diagonal().array() += noise;
        s.L.resize(T, T);
        if (factor_conditional_gram(s.G.data(), s.L.data(), static_cast<int>(T)) > 0) ++jittered;
        s.S = C;
        s.L.triangularView<Eigen::Lower>().solveInPlace(s.S);
        squared_column_norms(s.S, s.sq);
      }
      add_log_variance_sums(prior.data() + p.col0, s.sq.data(), omega.data() + p.col0, p.cols, floor, &j_sum,
                            with_gain ? &g_sum : nullptr);
    }
    pair_J[q] = p.weight * j_sum;
    pair_gain[q] = p.weight * g_sum;
  };
  // Threads take groups of pairs, not single pairs: at T = 1 a pair is a few hundred
  // nanoseconds, about what a contended shared counter costs.
  parallel_for_with<Scratch>(static_cast<std::int64_t>(groups_.size()), threads, [&](Scratch& s, std::int64_t g) {
    for (std::size_t q = groups_[g].first; q < groups_[g].second; ++q) score_pair_at(s, q);
  });
  PassScores out;
  out.J.assign(range_size, 0.0);
  if (with_gain) out.info_gain.assign(range_size, 0.0);
  for (std::size_t q = 0; q < pairs_.size(); ++q) {
    out.J[pairs_[q].candidate - first_candidate] += pair_J[q];
    if (with_gain) out.info_gain[pairs_[q].candidate - first_candidate] += pair_gain[q];
  }
  return out;
}

std::int64_t default_session_budget(double physical, double available) {
  if (physical <= 0) return std::int64_t{1} << 30;  // unknown: 1 GiB
  // Half of what is still free when the session opens, so that the caller's own arrays (a
  // policy's features can take most of the machine before the selection starts) and the pass's
  // workspaces keep room; never more than a quarter of the machine.
  const double budget = available > 0 ? std::min(physical / 4, available / 2) : physical / 4;
  return static_cast<std::int64_t>(budget);
}

std::int64_t resolve_session_budget(std::int64_t option_bytes) {
  if (option_bytes >= 0) return option_bytes;
  return default_session_budget(physical_memory_bytes(), available_memory_bytes());
}

namespace {
double mib(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }
}  // namespace

bool cache_keeps_pairs(std::size_t kept, std::size_t pairs, std::int64_t kept_bytes, std::int64_t all_bytes,
                       std::int64_t budget, const char* criterion) {
  if (budget == 0) return false;  // turned off: nothing to say
  if (kept == pairs) {
    spdlog::info("amf: {} session keeps the first pass's blocks of {} kept pairs ({:.1f} MiB of its {:.1f} MiB "
                 "budget); picks update them in place",
                 criterion, pairs, mib(kept_bytes), mib(budget));
  } else if (kept > 0) {
    spdlog::info("amf: {} session keeps the first pass's blocks of {} of its {} kept pairs ({:.1f} MiB; all would "
                 "take {:.1f} MiB, over its {:.1f} MiB budget, BackendOptions::session_cache_bytes); picks update "
                 "them in place, the other {} pairs are recomputed at every greedy step",
                 criterion, kept, pairs, mib(kept_bytes), mib(all_bytes), mib(budget), pairs - kept);
  } else {
    spdlog::info("amf: {} session: the first pass's blocks of {} kept pairs would take {:.1f} MiB, over its {:.1f} "
                 "MiB budget (BackendOptions::session_cache_bytes); every greedy step recomputes the criterion",
                 criterion, pairs, mib(all_bytes), mib(budget));
  }
  return kept > 0;
}

bool cache_keeps_pairs_after_pick(std::size_t kept, std::size_t before, std::int64_t bytes, std::int64_t budget,
                                  const char* criterion) {
  if (kept > 0) {
    spdlog::info("amf: {} session: with this pick the kept blocks would be over the {:.1f} MiB budget; it keeps "
                 "those of {} of its {} kept pairs and recomputes the others",
                 criterion, mib(budget), kept, before);
    return true;
  }
  spdlog::info("amf: {} session: the kept blocks would grow to {:.1f} MiB with this pick, over the {:.1f} MiB "
               "budget; later greedy steps recompute the criterion",
               criterion, mib(bytes), mib(budget));
  return false;
}

}  // namespace detail
}  // namespace amf
