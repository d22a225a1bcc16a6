#include "cpu/importance_weights.hpp"

#include <algorithm>
#include <cmath>

#include "tile_math.cuh"

namespace amf {
namespace detail {

Eigen::VectorXd trajectory_log_likelihoods(const GpPosterior& gp, const PoolData& pool,
                                           const RowMatrix& P, double noise_variance,
                                           const LogProbClip& clip) {
  RowMatrix mean;
  Eigen::VectorXd var;
  gp.predict(P, &mean, &var);
  const std::int64_t R = pool.num_trajectories();
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(R);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t r = pool.offsets[i]; r < pool.offsets[i + 1]; ++r) {
      const double lp = tile::isotropic_gaussian_log_prob(pool.Y.row(r).data(), mean.row(r).data(),
                                                          pool.action_dim, var(r) + noise_variance);
      sums(i) += tile::clamp(lp, clip.lo, clip.hi);
    }
  return sums;
}

void softmax_in_place(double* v, std::int64_t n) {
  const double mx = *std::max_element(v, v + n);
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) total += (v[i] = std::exp(v[i] - mx));
  for (std::int64_t i = 0; i < n; ++i) v[i] /= total;
}

RowMatrix importance_weights(const GpPosterior& gp, const PoolData& pool,
                             const MatrixView<double>& tasks, double noise_variance,
                             const LogProbClip& clip) {
  const std::int64_t R = pool.num_trajectories();
  const std::int64_t n = pool.X.rows();
  const Eigen::VectorXd own = trajectory_log_likelihoods(gp, pool, pool.X, noise_variance, clip);

  RowMatrix W(tasks.rows, R);
  RowMatrix P(n, pool.X.cols());
  for (std::int64_t c = 0; c < tasks.rows; ++c) {
    for (std::int64_t i = 0; i < R; ++i) relabel_trajectory(pool, i, tasks.row(c), P, pool.offsets[i]);
    const Eigen::VectorXd relabelled = trajectory_log_likelihoods(gp, pool, P, noise_variance, clip);
    for (std::int64_t i = 0; i < R; ++i) W(c, i) = relabelled(i) - own(i);
    softmax_in_place(W.row(c).data(), R);
  }
  return W;
}

}  // namespace detail
}  // namespace amf
