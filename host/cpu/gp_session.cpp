#include "cpu/gp_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <numeric>

#include "prep/importance_weights.hpp"
#include "prep/feature_targets.hpp"
#include "prep/parallel.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

MatrixView<double> candidate_rows(const CriterionProblem& p, CandidateRange range) {
  if (range.size() == 0) return MatrixView<double>(p.candidates.data, 0, p.candidates.cols, p.candidates.row_stride);
  return MatrixView<double>(p.candidates.row(range.begin), range.size(), p.candidates.cols, p.candidates.row_stride);
}

}  // namespace

GpSelectionSession::GpSelectionSession(const CriterionProblem& p, CandidateRange range, int threads,
                                       std::int64_t cache_budget)
    : SelectionSession(range), problem_(p), candidates_(candidate_rows(p, range)), threads_(threads),
      cache_budget_(cache_budget), pool_(gather_pool(p)) {
  const RbfKernel kernel(p.kernel, pool_.state_dim, pool_.task_dim);
  gp_ = std::make_unique<GpPosterior>(kernel, p.noise_variance, pool_.X, pool_.Y);
  const ImportanceWeights weights_of(*gp_, pool_, p, threads);
  cand_w_ = candidates_.rows > 0 ? weights_of(candidates_) : RowMatrix(0, pool_.num_trajectories());
  targets_ = target_occupancy(pool_, p, weights_of(p.targets));
  state_ = std::make_unique<ConditioningState>(gp_->state());
  block_ = std::make_unique<TargetBlock>(*state_, targets_, threads);
}

PassScores GpSelectionSession::score_pass(bool with_info_gain) {
  if (!cache_decided_ && !picked_ && picks_expected() > 0) build_cache();
  if (!cache_)
    return criterion_pass(*state_, *block_, pool_, candidates_, cand_w_, targets_, problem_.min_weight, threads_);
  std::atomic<int> jittered{0};
  PassScores scores = cache_->score(block_->variance, targets_.weight, tile::variance_floor(state_->kernel().signal_variance),
                                    state_->noise_variance(), range().begin, range().size(), jittered, threads_,
                                    with_info_gain);
  if (jittered > 0)
    spdlog::warn("amf: {} candidate conditional Grams needed diagonal jitter to factorise", jittered.load());
  // The pairs whose blocks are not kept, under this batch's picks afresh, added after the kept
  // pairs' sums (pairs are in candidate order, so each candidate's kept pairs come first).
  if (!recomputed_pairs_.empty()) {
    if (scores.info_gain.empty()) scores.info_gain.assign(range().size(), 0.0);
    add_pair_scores(*state_, *block_, pool_, problem_.candidates, recomputed_pairs_, range().begin, targets_, threads_,
                    scores);
  }
  if (!with_info_gain) scores.info_gain.clear();  // partial sums only: not asked for
  return scores;
}

std::int64_t GpSelectionSession::kept_bytes() const { return cache_ ? cache_->bytes() + side_bytes() : 0; }

std::int64_t GpSelectionSession::side_bytes() const {
  return static_cast<std::int64_t>(sizeof(double)) * (cached_points_.size() + cached_projection_.size());
}

std::int64_t GpSelectionSession::side_row_bytes() const {
  return static_cast<std::int64_t>(sizeof(double)) * (pool_.X.cols() + pool_.X.rows());
}

// Decides which pairs' blocks the session keeps: all when they fit the budget, else the longest
// prefix of the kept pairs that does (the rest are recomputed at every pass). The budget also
// holds each kept step's relabelled point and projection, and the rows the expected picks add
// (at most the longest trajectory's steps each), so that no pick outgrows it.
void GpSelectionSession::build_cache() {
  cache_decided_ = true;
  auto pairs = kept_range_pairs(cand_w_, range(), problem_.min_weight);
  std::vector<Eigen::Index> steps;
  Eigen::Index longest = 0;
  for (const auto& q : pairs) longest = std::max(longest, steps.emplace_back(pool_.steps(q.trajectory)));
  const Eigen::Index M = targets_.points.rows();
  const std::int64_t row_bytes =
      side_row_bytes() + static_cast<std::int64_t>(sizeof(double)) * picks_expected() * longest;
  const std::size_t kept =
      cache_budget_ > 0 ? CrossCovarianceCache::pairs_within(steps, M, {}, row_bytes, cache_budget_) : 0;
  auto bytes_of = [&](std::size_t count) {
    const std::vector<Eigen::Index> s(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(count));
    return CrossCovarianceCache::first_pass_bytes(s, M) +
           side_row_bytes() * std::accumulate(s.begin(), s.end(), std::int64_t{0});
  };
  if (!cache_keeps_pairs(kept, pairs.size(), bytes_of(kept), bytes_of(pairs.size()), cache_budget_, "AMF-GP")) return;
  recomputed_pairs_.assign(pairs.begin() + static_cast<std::ptrdiff_t>(kept), pairs.end());
  pairs.resize(kept);
  steps.resize(kept);
  const Eigen::Index rows = std::accumulate(steps.begin(), steps.end(), Eigen::Index{0});
  cache_ = std::make_unique<CrossCovarianceCache>(pairs, steps, M);
  cached_points_.resize(rows, pool_.X.cols());
  cached_projection_.resize(rows, pool_.X.rows());
  for (std::size_t q = 0; q < pairs.size(); ++q)
    relabel_trajectory(pool_, pairs[q].trajectory, problem_.candidates.row(pairs[q].candidate), cached_points_,
                       cache_->pair(q).first_row);
  // Under the pool alone: k_D(X, X) = k(X, X) - U_X^T U_X and k_D(X, Z) = k(X, Z) - U_X^T U_Z.
  const RbfKernel& kernel = state_->kernel();
  parallel_for(static_cast<std::int64_t>(pairs.size()), threads_, [&](std::int64_t q) {
    const auto& pair = cache_->pair(q);
    const RowMatrix X = cached_points_.middleRows(pair.first_row, pair.steps);
    const Eigen::MatrixXd U_X = state_->project(X);
    cached_projection_.middleRows(pair.first_row, pair.steps) = U_X.transpose();
    cache_->gram(q) = kernel.gram(X, X) - U_X.transpose() * U_X;
    cache_->cross(q) = kernel.gram(X, targets_.points) - U_X.transpose() * block_->U;
  });
}

void GpSelectionSession::condition_pick(std::int64_t candidate, std::int64_t trajectory,
                                        const std::vector<double>& /*blocks: AMF-GP derives none*/) {
  RowMatrix X(pool_.steps(trajectory), pool_.X.cols());
  relabel_trajectory(pool_, trajectory, problem_.candidates.row(candidate), X, 0);
  const Eigen::Index old_size = state_->size();
  state_->extend(X);
  block_->grow(*state_, targets_, X.rows());
  picked_ = true;
  if (cache_ && cache_->bytes_after_pick(X.rows()) + side_bytes() > cache_budget_) keep_fewer_pairs(X.rows());
  if (cache_) condition_cache(old_size, X.rows());
}

// Before a pick of `added` points that would outgrow the budget (more picks than expected):
// drops the blocks of the last kept pairs, which are recomputed from then on, or all of them.
void GpSelectionSession::keep_fewer_pairs(Eigen::Index added) {
  const std::size_t before = cache_->size();
  const std::size_t kept = cache_->pairs_fitting_after_pick(added, side_row_bytes(), cache_budget_);
  if (!cache_keeps_pairs_after_pick(kept, before, cache_->bytes_after_pick(added) + side_bytes(), cache_budget_,
                                    "AMF-GP")) {
    cache_.reset();
    cached_points_.resize(0, 0);
    cached_projection_.resize(0, 0);
    recomputed_pairs_.clear();  // every pass recomputes all pairs again
    return;
  }
  std::vector<CandidatePair> dropped;
  for (std::size_t q = kept; q < before; ++q) {
    const auto& pair = cache_->pair(q);
    dropped.push_back({pair.candidate, pair.trajectory, pair.weight});
  }
  recomputed_pairs_.insert(recomputed_pairs_.begin(), dropped.begin(), dropped.end());
  cache_->keep_first(kept);
  const Eigen::Index rows = cache_->rows();
  cached_points_ = RowMatrix(cached_points_.topRows(rows));
  cached_projection_ = RowMatrix(cached_projection_.topRows(rows));
}

// The pick's rows of the extended factor, [Bpool^T Bt Ck], give the cache's update; Bpool^T is
// also the pick's projection through the pool's factor, so k_pool(X, P) = k(X, P) - U_X^T Bpool
// with the steps' projections U_X^T kept from the first pass.
void GpSelectionSession::condition_cache(Eigen::Index old_size, Eigen::Index added) {
  const Eigen::MatrixXd& L = state_->factor();
  const Eigen::Index n0 = pool_.X.rows();
  const Eigen::MatrixXd Bt = L.block(old_size, n0, added, old_size - n0);
  const Eigen::MatrixXd Ck = L.block(old_size, old_size, added, added);
  const Eigen::MatrixXd Bpool = L.block(old_size, 0, added, n0).transpose();
  const RowMatrix W = block_->U.bottomRows(added);
  const RowMatrix P = state_->points().bottomRows(added);
  const RbfKernel& kernel = state_->kernel();
  cache_->condition(Bt, Ck, W, [&](Eigen::Index r0, Eigen::Index n, Eigen::MatrixXd& out) {
    out = kernel.gram(cached_points_.middleRows(r0, n), P);
    out.noalias() -= cached_projection_.middleRows(r0, n) * Bpool;
  }, threads_);
}

}  // namespace detail
}  // namespace amf
