#include "cpu/criterion_pass.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "amf/error.hpp"
#include "cpu/parallel.hpp"
#include "cpu/score_pair.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

// Prior (given the conditioning state) variances of the target points and their projections.
struct TargetBlock {
  Eigen::MatrixXd U;  // n' x M
  Eigen::VectorXd variance;
};

TargetBlock project_targets(const ConditioningState& state, const TargetOccupancy& targets) {
  TargetBlock block;
  block.U = state.project(targets.points);
  block.variance = (state.kernel().signal_variance - block.U.colwise().squaredNorm().array()).matrix();
  return block;
}

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

PassScores criterion_pass(const ConditioningState& state, const PoolData& pool,
                          const MatrixView<double>& candidates, const RowMatrix& weights,
                          const TargetOccupancy& targets, double min_weight, int threads) {
  const std::int64_t N = candidates.rows, R = pool.num_trajectories();
  PassScores scores;
  scores.J.assign(N, 0.0);
  scores.info_gain.assign(N, 0.0);
  const TargetBlock block = project_targets(state, targets);

  std::atomic<int> jittered{0};
  parallel_for(N, threads, [&](std::int64_t c) {
    RowMatrix X;
    for (std::int64_t i = 0; i < R; ++i) {
      const double w = weights(c, i);
      if (w == 0.0 || !keep_weight(weights.row(c).data(), R, i, min_weight)) continue;
      X.resize(pool.steps(i), pool.X.cols());
      relabel_trajectory(pool, i, candidates.row(c), X, 0);
      const Eigen::MatrixXd U_X = state.project(X);
      if (accumulate_trajectory(state, X, U_X, targets, block, w, &scores.J[c], &scores.info_gain[c]) > 0) ++jittered;
    }
  });
  if (jittered > 0)
    spdlog::warn("amf: {} candidate conditional Grams needed diagonal jitter to factorise", jittered.load());
  return scores;
}

}  // namespace detail
}  // namespace amf
