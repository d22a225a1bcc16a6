#pragma once
// Self-normalised importance weights w_i(c) of DESIGN.md section 1:
//   l_i(c) = sum_t [clip(log pi(a_it | s_it, c)) - clip(log pi(a_it | s_it, c_i))],
//   w_i(c) = softmax_i l_i(c)   (log-sum-exp),
// with the GP policy pi(a | x) = N(a; mu_D(x), (sigma_D^2(x) + sigma^2) I).
#include "amf/problem.hpp"
#include "cpu/pool_data.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// Clipped per-step log-probabilities of the pool actions at the points P (one row per pool
// step, in pool order), summed per trajectory: returns R sums.
Eigen::VectorXd trajectory_log_likelihoods(const GpPosterior& gp, const PoolData& pool,
                                           const RowMatrix& P, double noise_variance,
                                           const LogProbClip& clip);

// Weights for every task row of `tasks` (tasks x R, rows sum to 1). One task at a time, so the
// memory is that of one relabelled pool (n x n), whatever the number of tasks.
RowMatrix importance_weights(const GpPosterior& gp, const PoolData& pool,
                             const MatrixView<double>& tasks, double noise_variance,
                             const LogProbClip& clip);

// Softmax of a vector of log-weights via log-sum-exp (finite inputs give finite outputs).
void softmax_in_place(double* values, std::int64_t n);

}  // namespace detail
}  // namespace amf
