#pragma once
// Self-normalised importance weights w_i(c) of DESIGN.md section 1:
//   l_i(c) = sum_t [clip(log pi(a_it | s_it, c)) - clip(log pi(a_it | s_it, c_i))],
//   w_i(c) = softmax_i l_i(c)   (log-sum-exp),
// with the GP policy pi(a | x) = N(a; mu_D(x), (sigma_D^2(x) + sigma^2) I).
#include <memory>

#include "amf/problem.hpp"
#include "prep/pool_data.hpp"
#include "prep/relabelled_predictor.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// Clipped per-step log-probabilities of the pool actions under N(mean, (variance + noise) I),
// summed per trajectory: returns R sums.
Eigen::VectorXd trajectory_log_likelihoods(const PoolData& pool, const RowMatrix& mean,
                                           const Eigen::VectorXd& variance, double noise_variance,
                                           const LogProbClip& clip);

// The same with mean and variance predicted by the GP at the points P (one row per pool step).
Eigen::VectorXd trajectory_log_likelihoods(const GpPosterior& gp, const PoolData& pool,
                                           const RowMatrix& P, double noise_variance,
                                           const LogProbClip& clip);

class ImportanceWeights {
 public:
  // Uses the O(n R^2)-per-task RelabelledPredictor when its tables fit in `table_budget_bytes`,
  // else predicts each relabelled pool directly (O(n^3) per task).
  ImportanceWeights(const GpPosterior& gp, const PoolData& pool, const CriterionProblem& problem, int threads,
                    std::int64_t table_budget_bytes = std::int64_t(1) << 30);

  // Weights for every task row (tasks x R, rows sum to 1), tasks in parallel.
  RowMatrix operator()(const MatrixView<double>& tasks) const;

  bool uses_tables() const { return fast_ != nullptr; }

 private:
  const GpPosterior& gp_;
  const PoolData& pool_;
  double noise_variance_;
  LogProbClip clip_;
  int threads_;
  std::unique_ptr<RelabelledPredictor> fast_;
  Eigen::VectorXd own_;  // per-trajectory clipped log-likelihood under its own task
};

// Softmax of a vector of log-weights via log-sum-exp (finite inputs give finite outputs).
void softmax_in_place(double* values, std::int64_t n);

}  // namespace detail
}  // namespace amf
