#include "prep/importance_weights.hpp"

#include <algorithm>
#include <cmath>

#include "prep/parallel.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {

Eigen::VectorXd trajectory_log_likelihoods(const PoolData& pool, const RowMatrix& mean,
                                           const Eigen::VectorXd& variance, double noise_variance,
                                           const LogProbClip& clip) {
  const std::int64_t R = pool.num_trajectories();
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(R);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t r = pool.offsets[i]; r < pool.offsets[i + 1]; ++r) {
      const double lp = tile::isotropic_gaussian_log_prob(pool.Y.row(r).data(), mean.row(r).data(),
                                                          pool.action_dim, variance(r) + noise_variance);
      sums(i) += tile::clamp(lp, clip.lo, clip.hi);
    }
  return sums;
}

Eigen::VectorXd trajectory_log_likelihoods(const GpPosterior& gp, const PoolData& pool,
                                           const RowMatrix& P, double noise_variance,
                                           const LogProbClip& clip) {
  RowMatrix mean;
  Eigen::VectorXd var;
  gp.predict(P, &mean, &var);
  return trajectory_log_likelihoods(pool, mean, var, noise_variance, clip);
}

void softmax_in_place(double* v, std::int64_t n) {
  const double mx = *std::max_element(v, v + n);
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) total += (v[i] = std::exp(v[i] - mx));
  for (std::int64_t i = 0; i < n; ++i) v[i] /= total;
}

ImportanceWeights::ImportanceWeights(const GpPosterior& gp, const PoolData& pool, const CriterionProblem& p,
                                     int threads, std::int64_t table_budget_bytes)
    : gp_(gp), pool_(pool), noise_variance_(p.noise_variance), clip_(p.clip), threads_(threads) {
  if (RelabelledPredictor::fits(pool.X.rows(), pool.num_trajectories(), table_budget_bytes))
    fast_ = std::make_unique<RelabelledPredictor>(gp, pool, p.kernel, threads);
  own_ = trajectory_log_likelihoods(gp, pool, pool.X, noise_variance_, clip_);
}

RowMatrix ImportanceWeights::operator()(const MatrixView<double>& tasks) const {
  const std::int64_t R = pool_.num_trajectories();
  RowMatrix W(tasks.rows, R);
  parallel_for(tasks.rows, threads_, [&](std::int64_t c) {
    Eigen::VectorXd relabelled;
    if (fast_) {
      RowMatrix mean;
      Eigen::VectorXd var;
      fast_->predict(tasks.row(c), &mean, &var);
      relabelled = trajectory_log_likelihoods(pool_, mean, var, noise_variance_, clip_);
    } else {
      RowMatrix P(pool_.X.rows(), pool_.X.cols());
      for (std::int64_t i = 0; i < R; ++i) relabel_trajectory(pool_, i, tasks.row(c), P, pool_.offsets[i]);
      relabelled = trajectory_log_likelihoods(gp_, pool_, P, noise_variance_, clip_);
    }
    for (std::int64_t i = 0; i < R; ++i) W(c, i) = relabelled(i) - own_(i);
    softmax_in_place(W.row(c).data(), R);
  });
  return W;
}

}  // namespace detail
}  // namespace amf
