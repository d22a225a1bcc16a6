// AMF-NN's criterion from caller-supplied log-probabilities and features: importance weights and
// target occupancy as for AMF-GP, k_D = the feature kernel conditioned on this batch's picks.
//
// Blocked like the CUDA kernel (DESIGN.md section 2): the kept (candidate, trajectory) pairs are
// taken in groups of about kGroupRows steps; per group the T x T Grams are factorised once, then
// the target points stream past in blocks of kTargetBlock, each block packed once for the whole
// group. A block's k(X, Z) tile is a few GEMMs with the Hadamard epilogue (packed_features.hpp),
// solved against each pair's factor and reduced to sum_z omega_z log v while it is in cache; no
// T x M block and no packed copy of all M target points is ever held, unless the session keeps
// the first pass's blocks for incremental conditioning (cross_covariance_cache.hpp). Threads take
// target blocks, and per-(pair, block) partial sums are added in a fixed order, so results do
// not depend on the thread count. Feature rows are checked finite as they are packed.
#include "cpu/feature_criterion.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <string>
#include <type_traits>

#include "amf/error.hpp"
#include "prep/feature_targets.hpp"
#include "cpu/cross_covariance_cache.hpp"
#include "cpu/packed_features.hpp"
#include "prep/parallel.hpp"
#include "cpu/score_pair.hpp"
#include "prep/target_occupancy.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

constexpr Eigen::Index kGroupRows = 512;    // candidate steps per group (rows of the k(X, Z) tile)
constexpr Eigen::Index kTargetBlock = 128;  // target points per tile (its columns)

using Tile = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

// Rows in the GEMM scalar S: a float32 copy, or the float64 rows themselves (no copy).
template <typename S>
class AsScalar {
 public:
  explicit AsScalar(const PackedRows<double>& rows) : rows_(rows) {
    if constexpr (!std::is_same_v<S, double>) copy_ = rows.template cast<S>();
  }
  const PackedRows<S>& get() const {
    if constexpr (std::is_same_v<S, double>) return rows_;
    else return copy_;
  }

 private:
  const PackedRows<double>& rows_;
  PackedRows<S> copy_;
};

// One worker's buffers for target blocks: the packed block, GEMM products and the k(X, Z_b) tile.
template <typename S>
struct BlockScratch {
  PackedRows<S> Zb;
  GramScratch<S> gram;
  RowMatrix C;
  Eigen::ArrayXd explained;  // |L^-1 k(X, z)|^2 of one pair for the block's targets
};

using Pair = CandidatePair;

// With groups (FeatureCriterionProblem::candidate_groups): zeroes the entries of a rows x cols
// block (row stride ld) whose row and column groups differ, the kernel between groups being 0.
// Every Gram block between points of different candidates or targets passes through here, so the
// compact per-group features give the padded layout's criterion.
void mask_groups(double* block, Eigen::Index ld, const std::int64_t* row_groups, Eigen::Index rows,
                 const std::int64_t* col_groups, Eigen::Index cols) {
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j)
      if (row_groups[i] != col_groups[j]) block[i * ld + j] = 0.0;
}

// What one pass conditions on: this batch's picks X_p, with Lp Lp^T = k(X_p, X_p) + sigma^2 I and
// UZ = Lp^-1 k(X_p, Z), and the target variances given the picks.
struct Conditioning {
  PackedRows<double> points;
  std::vector<std::int64_t> groups;  // of the points (all 0 without groups)
  Eigen::MatrixXd factor;
  RowMatrix UZ;
  Eigen::VectorXd prior;
  Eigen::Index size() const { return points.rows(); }
};

template <typename S>
class FeaturePass {
 public:
  FeaturePass(const FeatureCriterionProblem& p, const FeatureTargets& targets, const PackedLayout& layout,
              int threads)
      : p_(p), targets_(targets), layout_(layout), threads_(threads), grouped_(has_groups(p)),
        M_(static_cast<Eigen::Index>(targets.rows.size())), blocks_((M_ + kTargetBlock - 1) / kTargetBlock) {}

  // picked_groups: the group of each picked row.
  Conditioning condition(const std::vector<std::int64_t>& picked_rows,
                         const std::vector<std::int64_t>& picked_groups) const {
    Conditioning cond;
    const auto m = static_cast<Eigen::Index>(picked_rows.size());
    if (m == 0) {
      cond.prior = targets_.prior;
      return cond;
    }
    cond.groups = picked_groups;
    pack_rows(p_.candidate_features, layout_, picked_rows.data(), m, cond.points, "candidate_features");
    GramScratch<double> scratch;
    Eigen::MatrixXd Kpp(m, m);
    RowMatrix K(m, m);
    packed_gram(layout_, cond.points, 0, m, cond.points, 0, m, K.data(), m, scratch);
    if (grouped_) mask_groups(K.data(), m, cond.groups.data(), m, cond.groups.data(), m);
    Kpp = K;
    Kpp.diagonal().array() += p_.noise_variance;
    cond.factor = robust_cholesky(Kpp, "the conditioning Gram of this batch's picks");
    cond.UZ.resize(m, M_);
    const AsScalar<S> XpS(cond.points);
    parallel_for_with<BlockScratch<S>>(blocks_, threads_, [&](BlockScratch<S>& s, std::int64_t b) {
      const Eigen::Index z0 = b * kTargetBlock, mb = std::min(kTargetBlock, M_ - z0);
      pack_rows(p_.target_features, layout_, targets_.rows.data() + z0, mb, s.Zb, "target_features");
      packed_gram(layout_, XpS.get(), 0, m, s.Zb, 0, mb, cond.UZ.data() + z0, M_, s.gram);
      if (grouped_) mask_groups(cond.UZ.data() + z0, M_, cond.groups.data(), m, targets_.groups.data() + z0, mb);
      Tile U(cond.UZ.data() + z0, m, mb, Eigen::OuterStride<>(M_));
      cond.factor.triangularView<Eigen::Lower>().solveInPlace(U);
    });
    cond.prior = targets_.prior - cond.UZ.colwise().squaredNorm().transpose();
    return cond;
  }

  // Adds every pair's w sum_z omega_z log v(z | X) to J[c] (and the information gain).
  // J and gain are indexed from candidate `first` (a session's range).
  // With `keep` (a cache whose pairs are `pairs`, stacked in order; only with no pick yet), the
  // pass also copies every pair's k(X, X) and k(X, Z) into it as it computes them, and `stacked`
  // gets the candidate feature rows of the stacked steps.
  // stacked_groups gets their groups.
  void score(const std::vector<Pair>& pairs, std::int64_t first, const Conditioning& cond, std::vector<double>& J,
             std::vector<double>& gain, std::atomic<int>& jittered, CrossCovarianceCache* keep = nullptr,
             std::vector<std::int64_t>* stacked = nullptr, std::vector<std::int64_t>* stacked_groups = nullptr) const {
    if (keep && cond.size() > 0) throw Error("AMF-NN session: blocks are kept from a pass with no pick only");
    // With groups, a pair explains nothing of a target block without its group (the kernel to all
    // of it is 0, under the picks too): the block's sums with nothing explained, once per pass.
    Unexplained unexplained;
    if (grouped_) {
      unexplained.J.assign(blocks_, 0.0);
      unexplained.gain.assign(blocks_, 0.0);
      const double floor = this->floor();
      const Eigen::ArrayXd nothing = Eigen::ArrayXd::Zero(kTargetBlock);
      for (Eigen::Index b = 0; b < blocks_; ++b) {
        const Eigen::Index z0 = b * kTargetBlock, mb = std::min(kTargetBlock, M_ - z0);
        add_log_variance_sums(cond.prior.data() + z0, nothing.data(), targets_.omega.data() + z0, mb, floor,
                              &unexplained.J[b], &unexplained.gain[b]);
      }
    }
    for_each_group(pairs, [&](std::size_t g0, std::size_t g1, const std::vector<std::int64_t>& rows,
                              const std::vector<Eigen::Index>& first_row) {
      if (stacked) stacked->insert(stacked->end(), rows.begin(), rows.end());
      if (stacked_groups)
        for (std::size_t q = g0; q < g1; ++q)
          stacked_groups->insert(stacked_groups->end(), first_row[q - g0 + 1] - first_row[q - g0],
                                 candidate_group(p_, pairs[q].candidate));
      score_group(pairs, g0, g1, rows, first_row, first, cond, unexplained, J, gain, jittered, keep);
    });
  }

  // A pick's rows of the picks' factor ([Bt Ck]) and of the targets' projection (W).
  struct PickRows {
    PackedRows<double> points;
    std::vector<std::int64_t> groups;
    Eigen::MatrixXd Bt, Ck;
    RowMatrix W;
  };

  // Conditions `cond` on one more pick (feature rows `rows`) by block Cholesky extension, in
  // float64, and returns the pick's rows for the cache's update.
  PickRows extend(Conditioning& cond, const std::vector<std::int64_t>& rows, std::int64_t group) const {
    const Eigen::Index m = cond.size(), TP = static_cast<Eigen::Index>(rows.size());
    PickRows pick;
    pick.groups.assign(TP, group);
    pack_rows(p_.candidate_features, layout_, rows.data(), TP, pick.points, "candidate_features");
    GramScratch<double> scratch;
    RowMatrix K(TP, TP);
    packed_gram(layout_, pick.points, 0, TP, pick.points, 0, TP, K.data(), TP, scratch);
    Eigen::MatrixXd B(m, TP);  // Lp^-1 k(earlier picks, P)
    if (m > 0) {
      RowMatrix Kmp(m, TP);
      packed_gram(layout_, cond.points, 0, m, pick.points, 0, TP, Kmp.data(), TP, scratch);
      if (grouped_) mask_groups(Kmp.data(), TP, cond.groups.data(), m, pick.groups.data(), TP);
      B = Kmp;
      cond.factor.triangularView<Eigen::Lower>().solveInPlace(B);
    }
    Eigen::MatrixXd schur = K;
    schur.noalias() -= B.transpose() * B;
    schur.diagonal().array() += p_.noise_variance;
    pick.Ck = robust_cholesky(schur, "the conditional Gram of a pick given this batch's earlier picks");
    pick.Bt = B.transpose();
    pick.W.resize(TP, M_);
    parallel_for_with<BlockScratch<double>>(blocks_, threads_, [&](BlockScratch<double>& s, std::int64_t b) {
      const Eigen::Index z0 = b * kTargetBlock, mb = std::min(kTargetBlock, M_ - z0);
      pack_rows(p_.target_features, layout_, targets_.rows.data() + z0, mb, s.Zb, "target_features");
      packed_gram(layout_, pick.points, 0, TP, s.Zb, 0, mb, pick.W.data() + z0, M_, s.gram);
      if (grouped_) mask_groups(pick.W.data() + z0, M_, pick.groups.data(), TP, targets_.groups.data() + z0, mb);
    });
    if (m > 0) pick.W.noalias() -= pick.Bt * cond.UZ;
    pick.Ck.template triangularView<Eigen::Lower>().solveInPlace(pick.W);
    append(cond, pick);
    return pick;
  }

  // The same from the blocks a session keeping the pick's pair shares (CrossCovarianceCache::
  // pair_blocks): its Gram G, cross-covariance C and rows V under the earlier picks give
  // Ck = chol(G + sigma^2 I), Bt = V and W = Ck^-1 C, with no Gram against the targets. With
  // `whole`, cond (its m points so far) grows as in extend(), for the pairs a partly kept session
  // recomputes; else only its prior variances follow (copying the growing factor and projection
  // would cost a fully kept session about half of a greedy step).
  PickRows extend_from_blocks(Conditioning& cond, Eigen::Index m, const std::vector<std::int64_t>& rows,
                              const std::vector<double>& blocks, std::int64_t group, bool whole) const {
    const Eigen::Index TP = static_cast<Eigen::Index>(rows.size());
    if (static_cast<Eigen::Index>(blocks.size()) != TP * (TP + M_ + m))
      throw Error("AMF-NN session: a pick's shared blocks have " + std::to_string(blocks.size()) + " values, not " +
                  std::to_string(TP * (TP + M_ + m)) + " (sessions of different problems?)");
    PickRows pick;
    pick.groups.assign(TP, group);
    pack_rows(p_.candidate_features, layout_, rows.data(), TP, pick.points, "candidate_features");
    Eigen::MatrixXd schur = Eigen::Map<const RowMatrix>(blocks.data(), TP, TP);
    schur.diagonal().array() += p_.noise_variance;
    pick.Ck = robust_cholesky(schur, "the conditional Gram of a pick given this batch's earlier picks");
    pick.W = Eigen::Map<const RowMatrix>(blocks.data() + TP * TP, TP, M_);
    pick.Ck.template triangularView<Eigen::Lower>().solveInPlace(pick.W);
    pick.Bt = Eigen::Map<const RowMatrix>(blocks.data() + TP * (TP + M_), TP, m);
    if (!whole) {
      cond.prior -= pick.W.colwise().squaredNorm().transpose();
      return pick;
    }
    if (cond.size() != m) throw Error("AMF-NN session: the picks' conditioning and the kept blocks disagree");
    append(cond, pick);
    return pick;
  }

  double floor() const { return tile::variance_floor(targets_.prior.size() ? targets_.prior.maxCoeff() : 1.0); }

 private:
  // cond grows by the pick: its points, its rows [Bt Ck] of the factor and W of the targets'
  // projection, and the target variances lose what it explains.
  void append(Conditioning& cond, const PickRows& pick) const {
    const Eigen::Index m = cond.size(), TP = pick.points.rows();
    cond.prior -= pick.W.colwise().squaredNorm().transpose();
    PackedRows<double> points(m + TP, layout_.width);
    points.topRows(m) = cond.points.topRows(m);
    points.bottomRows(TP) = pick.points;
    cond.points = std::move(points);
    cond.groups.insert(cond.groups.end(), pick.groups.begin(), pick.groups.end());
    Eigen::MatrixXd factor = Eigen::MatrixXd::Zero(m + TP, m + TP);
    if (m > 0) factor.topLeftCorner(m, m) = cond.factor;
    factor.bottomLeftCorner(TP, m) = pick.Bt;
    factor.bottomRightCorner(TP, TP) = pick.Ck;
    cond.factor = std::move(factor);
    RowMatrix UZ(m + TP, M_);
    if (m > 0) UZ.topRows(m) = cond.UZ;
    UZ.bottomRows(TP) = pick.W;
    cond.UZ = std::move(UZ);
  }

  // Calls body(g0, g1, rows, first_row) for consecutive groups of pairs [g0, g1) of about
  // kGroupRows steps: rows are their candidate feature rows, first_row[q] pair g0 + q's first.
  template <typename Body>
  void for_each_group(const std::vector<Pair>& pairs, Body&& body) const {
    for (std::size_t g0 = 0; g0 < pairs.size();) {
      std::vector<Eigen::Index> first_row{0};
      std::vector<std::int64_t> rows;
      std::size_t g1 = g0;
      while (g1 < pairs.size() && (g1 == g0 || first_row.back() < kGroupRows)) {
        const auto& q = pairs[g1++];
        for (std::int64_t t = p_.traj_offsets[q.trajectory]; t < p_.traj_offsets[q.trajectory + 1]; ++t)
          rows.push_back(candidate_feature_row(p_, q.candidate, t));
        first_row.push_back(static_cast<Eigen::Index>(rows.size()));
      }
      body(g0, g1, rows, first_row);
      g0 = g1;
    }
  }

  // Per target block, its sums when a pair explains none of it (with groups only).
  struct Unexplained {
    std::vector<double> J, gain;
  };

  void score_group(const std::vector<Pair>& pairs, std::size_t g0, std::size_t g1,
                   const std::vector<std::int64_t>& rows, const std::vector<Eigen::Index>& first,
                   std::int64_t first_candidate, const Conditioning& cond, const Unexplained& unexplained,
                   std::vector<double>& J, std::vector<double>& gain, std::atomic<int>& jittered,
                   CrossCovarianceCache* keep) const {
    const auto P = static_cast<std::int64_t>(g1 - g0);
    const auto rg = static_cast<Eigen::Index>(rows.size());
    const Eigen::Index m = cond.size();
    PackedRows<double> X;
    pack_rows(p_.candidate_features, layout_, rows.data(), rg, X, "candidate_features");
    std::vector<std::int64_t> row_groups, pair_groups;  // the group of each row and pair (its candidate's)
    if (grouped_)
      for (std::int64_t q = 0; q < P; ++q) {
        pair_groups.push_back(candidate_group(p_, pairs[g0 + q].candidate));
        row_groups.insert(row_groups.end(), first[q + 1] - first[q], pair_groups.back());
      }

    // Per pair: UX = Lp^-1 k(X_p, X) and the factor of k_D(X, X) + sigma^2 I.
    std::vector<RowMatrix> factors(P), UX(P);
    parallel_for(P, threads_, [&](std::int64_t q) {
      const Eigen::Index r0 = first[q], T = first[q + 1] - first[q];
      GramScratch<double> scratch;
      RowMatrix G(T, T);
      packed_gram(layout_, X, r0, T, X, r0, T, G.data(), T, scratch);
      if (m > 0) {
        UX[q].resize(m, T);
        packed_gram(layout_, cond.points, 0, m, X, r0, T, UX[q].data(), T, scratch);
        if (grouped_) mask_groups(UX[q].data(), T, cond.groups.data(), m, row_groups.data() + r0, T);
        cond.factor.triangularView<Eigen::Lower>().solveInPlace(UX[q]);
        G.noalias() -= UX[q].transpose() * UX[q];
      }
      if (keep) keep->gram(g0 + q) = G;
      G.diagonal().array() += p_.noise_variance;
      factors[q].resize(T, T);
      if (factor_conditional_gram(G.data(), factors[q].data(), static_cast<int>(T)) > 0) ++jittered;
    });

    // Target blocks: k(X, Z_b) for the whole group, then per pair solve, log and reduce.
    const AsScalar<S> XS(X);
    const double floor = this->floor();
    std::vector<double> part_J(P * blocks_), part_gain(P * blocks_);
    parallel_for_with<BlockScratch<S>>(blocks_, threads_, [&](BlockScratch<S>& s, std::int64_t b) {
      const Eigen::Index z0 = b * kTargetBlock, mb = std::min(kTargetBlock, M_ - z0);
      // With groups: which pairs share a group with some target of the block (the points are in
      // group order, feature_targets). The others' cross-covariance with it is exactly 0 (masked,
      // and so is their part of the picks' correction), so their sums are the block's unexplained
      // ones, bit for bit, with no Gram; a block no pair of the batch needs is not formed at all.
      const auto block_groups = targets_.groups.begin() + z0;
      auto explains = [&](std::int64_t q) {
        return !grouped_ || std::binary_search(block_groups, block_groups + mb, pair_groups[q]);
      };
      bool needed = false;
      for (std::int64_t q = 0; q < P && !needed; ++q) needed = explains(q);
      RowMatrix& C = s.C;
      if (needed) {
        pack_rows(p_.target_features, layout_, targets_.rows.data() + z0, mb, s.Zb, "target_features");
        C.resize(rg, mb);
        packed_gram(layout_, XS.get(), 0, rg, s.Zb, 0, mb, C.data(), mb, s.gram);
        if (grouped_) mask_groups(C.data(), mb, row_groups.data(), rg, targets_.groups.data() + z0, mb);
        // Each pair keeps the block's columns within its own (its group's points with groups;
        // the rest of a block is what the mask zeroed, and the cache starts at 0).
        if (keep)
          for (std::int64_t q = 0; q < P; ++q) {
            const auto& kept = keep->pair(g0 + q);
            const Eigen::Index lo = std::max(z0, kept.col0), hi = std::min(z0 + mb, kept.col0 + kept.cols);
            if (lo < hi)
              keep->cross(g0 + q).middleCols(lo - kept.col0, hi - lo) =
                  C.block(first[q], lo - z0, first[q + 1] - first[q], hi - lo);
          }
      }
      for (std::int64_t q = 0; q < P; ++q) {
        if (!explains(q)) {
          part_J[q * blocks_ + b] = unexplained.J[b];
          part_gain[q * blocks_ + b] = unexplained.gain[b];
          continue;
        }
        const Eigen::Index r0 = first[q], T = first[q + 1] - first[q];
        Tile Cq(C.data() + r0 * mb, T, mb, Eigen::OuterStride<>(mb));
        if (m > 0) Cq.noalias() -= UX[q].transpose() * cond.UZ.middleCols(z0, mb);
        factors[q].triangularView<Eigen::Lower>().solveInPlace(Cq);
        squared_column_norms(Cq, s.explained);
        double j_sum = 0, g_sum = 0;
        add_log_variance_sums(cond.prior.data() + z0, s.explained.data(), targets_.omega.data() + z0, mb, floor,
                              &j_sum, &g_sum);
        part_J[q * blocks_ + b] = j_sum;
        part_gain[q * blocks_ + b] = g_sum;
      }
    });
    for (std::int64_t q = 0; q < P; ++q) {
      double j_sum = 0, g_sum = 0;
      for (Eigen::Index b = 0; b < blocks_; ++b) {
        j_sum += part_J[q * blocks_ + b];
        g_sum += part_gain[q * blocks_ + b];
      }
      const Pair& pair = pairs[g0 + q];
      J[pair.candidate - first_candidate] += pair.weight * j_sum;
      gain[pair.candidate - first_candidate] += pair.weight * g_sum;
    }
  }

  const FeatureCriterionProblem& p_;
  const FeatureTargets& targets_;
  const PackedLayout& layout_;
  int threads_;
  bool grouped_;
  Eigen::Index M_, blocks_;
};

// One AMF-NN selection on the CPU over a range of candidates. When the first pass's blocks fit
// the session's budget, picks update them (cross_covariance_cache.hpp); otherwise each pass
// conditions on this batch's picks afresh (their Gram with the targets is small next to the
// pairs' blocks) and recomputes every pair.
template <typename S>
class CpuFeatureSession final : public SelectionSession {
 public:
  CpuFeatureSession(const FeatureCriterionProblem& p, CandidateRange range, int threads, std::int64_t cache_budget)
      : SelectionSession(range), p_(p), targets_(feature_targets(p, range, threads)), layout_(p.candidate_features),
        pairs_(kept_range_pairs(targets_.candidate_weights, range, p.min_weight)),
        pass_(p, targets_, layout_, threads), threads_(threads), cache_budget_(cache_budget) {
    if (!(layout_ == PackedLayout(p.target_features)))
      throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  }

  MatrixView<double> weights() const override {
    const RowMatrix& W = targets_.candidate_weights;
    return MatrixView<double>(W.data(), W.rows(), W.cols());
  }
  std::int64_t num_target_points() const override { return static_cast<std::int64_t>(targets_.rows.size()); }

  PassScores score_pass(bool with_info_gain) override {
    const bool first_kept = !cache_decided_ && picked_rows_.empty() && picks_expected() > 0 && start_cache();
    std::atomic<int> jittered{0};
    PassScores out;
    out.J.assign(range().size(), 0.0);
    out.info_gain.assign(range().size(), 0.0);
    if (cache_ && !first_kept) {
      out = cache_->score(picks_.prior, targets_.omega, pass_.floor(), p_.noise_variance, range().begin,
                          range().size(), jittered, threads_, with_info_gain);
      if (out.info_gain.empty()) out.info_gain.assign(range().size(), 0.0);
    } else if (first_kept) {
      // The first pass of an incremental session keeps its blocks as it computes them.
      const Conditioning none = pass_.condition({}, {});
      pass_.score(kept_pairs_, range().begin, none, out.J, out.info_gain, jittered, cache_.get(), &stacked_,
                  has_groups(p_) ? &stacked_groups_ : nullptr);
    }
    // The pairs whose blocks are not kept (all of them without a cache): conditioned on this
    // batch's picks afresh, their sums added after the kept pairs' ones.
    const std::vector<Pair>& recomputed = cache_ ? recomputed_pairs_ : pairs_;
    if (!recomputed.empty()) {
      // With a cache the picks' conditioning has grown pick by pick; without, it is built here.
      if (cache_)
        pass_.score(recomputed, range().begin, whole_picks(picked_rows_.size()), out.J, out.info_gain, jittered);
      else
        pass_.score(recomputed, range().begin, pass_.condition(picked_rows_, picked_groups_), out.J, out.info_gain,
                    jittered);
    }
    if (cache_ && !with_info_gain) out.info_gain.clear();  // partial sums only: not asked for
    if (jittered > 0) spdlog::warn("amf: {} candidate conditional Grams needed diagonal jitter", jittered.load());
    return out;
  }

  std::vector<double> pick_blocks(std::int64_t candidate, std::int64_t trajectory) const override {
    if (!cache_) return {};
    const auto q = cache_->find(candidate, trajectory);
    return q ? cache_->pair_blocks(*q) : std::vector<double>{};
  }

  bool incremental() const override { return cache_ != nullptr; }
  std::int64_t kept_bytes() const override { return cache_ ? cache_->bytes() + stacked_bytes() : 0; }

 protected:
  void condition_pick(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& blocks) override {
    const auto rows = candidate_rows(p_, candidate, trajectory);
    const std::int64_t group = candidate_group(p_, candidate);
    picked_rows_.insert(picked_rows_.end(), rows.begin(), rows.end());
    const auto TP = static_cast<Eigen::Index>(rows.size());
    picked_groups_.insert(picked_groups_.end(), TP, group);
    if (cache_ && cache_->bytes_after_pick(TP) + stacked_bytes() > cache_budget_) keep_fewer_pairs(TP);
    if (!cache_) return;
    const Eigen::Index m = cache_->pick_points();
    // extend() needs the earlier picks' factor and projection, and so do recomputed pairs.
    const bool whole = blocks.empty() || !recomputed_pairs_.empty();
    if (whole) whole_picks(picked_rows_.size() - rows.size());
    const auto pick = blocks.empty() ? pass_.extend(picks_, rows, group)
                                     : pass_.extend_from_blocks(picks_, m, rows, blocks, group, whole);
    if (keep_packed_ && stacked_packed_.rows() == 0) pack_stacked();
    cache_->condition(pick.Bt, pick.Ck, pick.W, [&](Eigen::Index r0, Eigen::Index n, Eigen::MatrixXd& out) {
      RowMatrix K(n, TP);
      GramScratch<double> scratch;
      if (keep_packed_) {
        packed_gram(layout_, stacked_packed_, r0, n, pick.points, 0, TP, K.data(), TP, scratch);
      } else {
        PackedRows<double> X;
        pack_rows(p_.candidate_features, layout_, stacked_.data() + r0, n, X, "candidate_features");
        packed_gram(layout_, X, 0, n, pick.points, 0, TP, K.data(), TP, scratch);
      }
      if (!stacked_groups_.empty()) mask_groups(K.data(), TP, stacked_groups_.data() + r0, n, pick.groups.data(), TP);
      out = K;
    }, threads_);
  }

 private:
  // picks_ over the first `count` picked rows with its points, factor and targets' projection:
  // picks that came with blocks while every pair was kept left only their prior variances, so the
  // rest is built afresh here, keeping the prior variances the updates produced.
  const Conditioning& whole_picks(std::size_t count) {
    if (picks_.size() < static_cast<Eigen::Index>(count)) {
      const auto end = static_cast<std::ptrdiff_t>(count);
      const std::vector<std::int64_t> rows(picked_rows_.begin(), picked_rows_.begin() + end);
      const std::vector<std::int64_t> groups(picked_groups_.begin(), picked_groups_.begin() + end);
      Eigen::VectorXd prior = std::move(picks_.prior);
      picks_ = pass_.condition(rows, groups);
      picks_.prior = std::move(prior);
    }
    return picks_;
  }

  // The cache's stacked steps cost their feature row, and with groups their group too; with
  // keep_packed_, their packed features as well.
  std::int64_t stacked_step_bytes() const {
    return static_cast<std::int64_t>(sizeof(std::int64_t)) * (has_groups(p_) ? 2 : 1) +
           (keep_packed_ ? packed_row_bytes() : 0);
  }
  std::int64_t packed_row_bytes() const { return static_cast<std::int64_t>(sizeof(double)) * layout_.width; }
  std::int64_t stacked_bytes() const { return stacked_step_bytes() * static_cast<std::int64_t>(stacked_.size()); }

  // The stacked steps' features packed once for every later pick (re-packing them at each pick
  // was about 40 % of a greedy step on W-NN-cpu), in blocks of rows in parallel.
  void pack_stacked() {
    constexpr Eigen::Index kRows = 256;
    const auto rows = static_cast<Eigen::Index>(stacked_.size());
    stacked_packed_.resize(rows, layout_.width);
    parallel_for((rows + kRows - 1) / kRows, threads_, [&](std::int64_t b) {
      const Eigen::Index r0 = b * kRows, n = std::min(kRows, rows - r0);
      PackedRows<double> X;
      pack_rows(p_.candidate_features, layout_, stacked_.data() + r0, n, X, "candidate_features");
      stacked_packed_.middleRows(r0, n) = X;
    });
  }

  // Before a pick of TP points that would outgrow the budget (more picks than expected): drops the
  // blocks of the last kept pairs, which are recomputed from then on, or all of them.
  void keep_fewer_pairs(Eigen::Index TP) {
    const std::size_t before = cache_->size();
    const std::size_t kept = cache_->pairs_fitting_after_pick(TP, stacked_step_bytes(), cache_budget_);
    if (!cache_keeps_pairs_after_pick(kept, before, cache_->bytes_after_pick(TP) + stacked_bytes(), cache_budget_,
                                      "AMF-NN")) {
      cache_.reset();
      stacked_.clear();
      stacked_groups_.clear();
      stacked_packed_.resize(0, 0);
      kept_pairs_.clear();
      recomputed_pairs_.clear();
      return;
    }
    cache_->keep_first(kept);
    const auto rows = static_cast<std::size_t>(cache_->rows());
    stacked_.resize(rows);
    if (!stacked_groups_.empty()) stacked_groups_.resize(rows);
    if (stacked_packed_.rows() > 0) stacked_packed_ = PackedRows<double>(stacked_packed_.topRows(rows));
    recomputed_pairs_.insert(recomputed_pairs_.begin(), kept_pairs_.begin() + static_cast<std::ptrdiff_t>(kept),
                             kept_pairs_.end());
    kept_pairs_.resize(kept);
  }

  // Decides which pairs' blocks the first pass keeps: all of them when they fit the budget, else
  // the longest prefix of the kept pairs that does (the rest are recomputed at every pass, so a
  // budget a little short of the whole costs a little, not every pass in full). The budget also
  // holds the stacked steps' rows and groups, and the rows the expected picks add (at most the
  // longest trajectory's steps each), so that no pick outgrows it.
  bool start_cache() {
    cache_decided_ = true;
    std::vector<Eigen::Index> steps;
    Eigen::Index longest = 0;
    for (const auto& q : pairs_) steps.push_back(p_.traj_offsets[q.trajectory + 1] - p_.traj_offsets[q.trajectory]);
    for (std::int64_t j = 0; j + 1 < p_.traj_offsets.size; ++j)
      longest = std::max<Eigen::Index>(longest, p_.traj_offsets[j + 1] - p_.traj_offsets[j]);
    const auto M = static_cast<Eigen::Index>(targets_.rows.size());
    const std::int64_t row_bytes =
        stacked_step_bytes() + static_cast<std::int64_t>(sizeof(double)) * picks_expected() * longest;
    // With groups a pair's cross-covariance is 0 outside its group's target points, which are
    // consecutive (feature_targets orders them by group): it keeps those columns only.
    std::vector<CrossCovarianceCache::Columns> columns;
    if (has_groups(p_))
      for (const auto& q : pairs_) {
        const auto [b, e] = std::equal_range(targets_.groups.begin(), targets_.groups.end(), candidate_group(p_, q.candidate));
        columns.emplace_back(b - targets_.groups.begin(), e - b);
      }
    // The stacked steps' packed features are kept too when every pair's blocks fit with them.
    std::size_t kept = 0;
    if (cache_budget_ > 0) {
      keep_packed_ = CrossCovarianceCache::pairs_within(steps, M, columns, row_bytes + packed_row_bytes(),
                                                        cache_budget_) == pairs_.size();
      kept = keep_packed_ ? pairs_.size()
                          : CrossCovarianceCache::pairs_within(steps, M, columns, row_bytes, cache_budget_);
    }
    auto bytes_of = [&](const std::vector<Eigen::Index>& s, const std::vector<CrossCovarianceCache::Columns>& c) {
      const std::int64_t rows = std::accumulate(s.begin(), s.end(), std::int64_t{0});
      return CrossCovarianceCache::first_pass_bytes(s, M, c) + stacked_step_bytes() * rows;
    };
    const std::int64_t all_bytes = bytes_of(steps, columns);
    steps.resize(kept);
    if (!columns.empty()) columns.resize(kept);
    if (!cache_keeps_pairs(kept, pairs_.size(), bytes_of(steps, columns), all_bytes, cache_budget_, "AMF-NN"))
      return false;
    kept_pairs_.assign(pairs_.begin(), pairs_.begin() + static_cast<std::ptrdiff_t>(kept));
    recomputed_pairs_.assign(pairs_.begin() + static_cast<std::ptrdiff_t>(kept), pairs_.end());
    cache_ = std::make_unique<CrossCovarianceCache>(kept_pairs_, steps, M, columns);
    picks_.prior = targets_.prior;
    return true;
  }

  const FeatureCriterionProblem& p_;
  const FeatureTargets targets_;
  const PackedLayout layout_;
  const std::vector<Pair> pairs_;
  const FeaturePass<S> pass_;
  int threads_;
  std::int64_t cache_budget_;
  std::vector<std::int64_t> picked_rows_;  // rows of candidate_features of this batch's pseudo-demonstrations
  bool cache_decided_ = false;             // the first pass has chosen cache or recompute
  std::unique_ptr<CrossCovarianceCache> cache_;  // null: recompute every pass
  std::vector<Pair> kept_pairs_;           // pairs_ split: the first ones, whose blocks cache_ keeps,
  std::vector<Pair> recomputed_pairs_;     // and the rest, recomputed every pass (with a cache only)
  std::vector<std::int64_t> stacked_;      // candidate feature rows of the cache's stacked steps
  std::vector<std::int64_t> stacked_groups_;  // and their groups (with groups only)
  bool keep_packed_ = false;               // keep the stacked steps' packed features (when all fit)
  PackedRows<double> stacked_packed_;      // packed at the first pick, with keep_packed_
  std::vector<std::int64_t> picked_groups_;   // the group of each of picked_rows_
  Conditioning picks_;                     // the picks, grown by extension (cache only): points,
                                           // factor, targets' projection and prior variances
};

}  // namespace

std::unique_ptr<SelectionSession> open_feature_session_cpu(const FeatureCriterionProblem& p, CandidateRange range,
                                                           int threads, std::int64_t cache_budget) {
  if (p.gram_precision == GramPrecision::Float32)
    return std::make_unique<CpuFeatureSession<float>>(p, range, threads, cache_budget);
  return std::make_unique<CpuFeatureSession<double>>(p, range, threads, cache_budget);
}

}  // namespace detail
}  // namespace amf
