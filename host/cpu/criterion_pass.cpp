#include "cpu/criterion_pass.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "amf/error.hpp"
#include "prep/parallel.hpp"
#include "cpu/score_pair.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

// Adds w * sum_z omega_z log v(z | X) (and the information gain) for one relabelled trajectory
// X (T points, projections U_X). Returns the jitter the T x T Cholesky needed (0 almost always).
double accumulate_trajectory(const ConditioningState& state, const RowMatrix& X, const Eigen::MatrixXd& U_X,
                             const TargetOccupancy& targets, const TargetBlock& block, double w, double* J,
                             double* gain) {
  const RbfKernel& kernel = state.kernel();
  RowMatrix G = kernel.gram(X, X) - U_X.transpose() * U_X;  // k_D(X, X) + sigma^2 I
  G.diagonal().array() += state.noise_variance();
  RowMatrix C = kernel.gram(X, targets.points) - U_X.transpose() * block.U;  // k_D(X, Z)
  return score_pair(G, C, block.variance, targets.weight, tile::variance_floor(kernel.signal_variance), w, J, gain);
}

}  // namespace

TargetBlock::TargetBlock(const ConditioningState& state, const TargetOccupancy& targets, int threads) {
  const Eigen::Index M = targets.points.rows();
  U.resize(state.size(), M);
  constexpr Eigen::Index kColumns = 256;  // column blocks solved in parallel
  const Eigen::Index blocks = (M + kColumns - 1) / kColumns;
  parallel_for(blocks, threads, [&](std::int64_t b) {
    const Eigen::Index c0 = b * kColumns, m = std::min(kColumns, M - c0);
    U.middleCols(c0, m) = state.project(targets.points.middleRows(c0, m));
  });
  variance = (state.kernel().signal_variance - U.colwise().squaredNorm().array()).matrix();
}

void TargetBlock::grow(const ConditioningState& state, const TargetOccupancy& targets, Eigen::Index added) {
  // With L' = [[L, 0], [B^T, C]]: the new rows are C^-1 (k(new, Z) - B^T U).
  const Eigen::Index old = U.rows();
  const Eigen::MatrixXd& L = state.factor();
  Eigen::MatrixXd rows = state.kernel().gram(state.points().bottomRows(added), targets.points);
  rows.noalias() -= L.block(old, 0, added, old) * U;
  L.block(old, old, added, added).triangularView<Eigen::Lower>().solveInPlace(rows);
  Eigen::MatrixXd grown(old + added, U.cols());
  grown.topRows(old) = U;
  grown.bottomRows(added) = rows;
  U = std::move(grown);
  variance -= rows.colwise().squaredNorm().transpose();
}

PassScores criterion_pass(const ConditioningState& state, const TargetBlock& block, const PoolData& pool,
                          const MatrixView<double>& candidates, const RowMatrix& weights,
                          const TargetOccupancy& targets, double min_weight, int threads) {
  PassScores scores;
  scores.J.assign(candidates.rows, 0.0);
  scores.info_gain.assign(candidates.rows, 0.0);
  add_pair_scores(state, block, pool, candidates, kept_pairs(weights.data(), weights.rows(), weights.cols(), min_weight),
                  0, targets, threads, scores);
  return scores;
}

void add_pair_scores(const ConditioningState& state, const TargetBlock& block, const PoolData& pool,
                     const MatrixView<double>& candidates, const std::vector<CandidatePair>& pairs,
                     std::int64_t first, const TargetOccupancy& targets, int threads, PassScores& scores) {
  // One task per candidate: its pairs are consecutive, and only it adds to its J.
  std::vector<std::size_t> starts;
  for (std::size_t q = 0; q < pairs.size(); ++q)
    if (q == 0 || pairs[q].candidate != pairs[q - 1].candidate) starts.push_back(q);
  starts.push_back(pairs.size());
  std::atomic<int> jittered{0};
  parallel_for(static_cast<std::int64_t>(starts.size()) - 1, threads, [&](std::int64_t s) {
    RowMatrix X;
    for (std::size_t q = starts[s]; q < starts[s + 1]; ++q) {
      const CandidatePair& pair = pairs[q];
      const std::int64_t c = pair.candidate - first;
      X.resize(pool.steps(pair.trajectory), pool.X.cols());
      relabel_trajectory(pool, pair.trajectory, candidates.row(pair.candidate), X, 0);
      const Eigen::MatrixXd U_X = state.project(X);
      if (accumulate_trajectory(state, X, U_X, targets, block, pair.weight, &scores.J[c], &scores.info_gain[c]) > 0)
        ++jittered;
    }
  });
  if (jittered > 0)
    spdlog::warn("amf: {} candidate conditional Grams needed diagonal jitter to factorise", jittered.load());
}

}  // namespace detail
}  // namespace amf
