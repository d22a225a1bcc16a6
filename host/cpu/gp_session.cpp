#include "cpu/gp_session.hpp"

#include <algorithm>

#include "cpu/importance_weights.hpp"

namespace amf {
namespace detail {

GpSelectionSession::GpSelectionSession(const CriterionProblem& p, const MatrixView<double>& candidates, int threads)
    : problem_(p), candidates_(candidates), threads_(threads), pool_(gather_pool(p)) {
  const RbfKernel kernel(p.kernel, pool_.state_dim, pool_.task_dim);
  gp_ = std::make_unique<GpPosterior>(kernel, p.noise_variance, pool_.X, pool_.Y);
  const ImportanceWeights weights_of(*gp_, pool_, p, threads);
  cand_w_ = candidates.rows > 0 ? weights_of(candidates) : RowMatrix(0, pool_.num_trajectories());
  targets_ = target_occupancy(pool_, p, weights_of(p.targets));
  state_ = std::make_unique<ConditioningState>(gp_->state());
  block_ = std::make_unique<TargetBlock>(*state_, targets_, threads);
}

PassScores GpSelectionSession::pass() const {
  return criterion_pass(*state_, *block_, pool_, candidates_, cand_w_, targets_, problem_.min_weight, threads_);
}

std::int64_t GpSelectionSession::pseudo_trajectory(std::int64_t candidate) const {
  const double* w = cand_w_.row(candidate).data();
  return std::max_element(w, w + cand_w_.cols()) - w;
}

void GpSelectionSession::condition_on(const double* task, std::int64_t trajectory) {
  RowMatrix X(pool_.steps(trajectory), pool_.X.cols());
  relabel_trajectory(pool_, trajectory, task, X, 0);
  state_->extend(X);
  block_->grow(*state_, targets_, X.rows());
}

}  // namespace detail
}  // namespace amf
