#include "cpu/gp_session.hpp"

#include "prep/importance_weights.hpp"

namespace amf {
namespace detail {
namespace {

MatrixView<double> candidate_rows(const CriterionProblem& p, CandidateRange range) {
  if (range.size() == 0) return MatrixView<double>(p.candidates.data, 0, p.candidates.cols, p.candidates.row_stride);
  return MatrixView<double>(p.candidates.row(range.begin), range.size(), p.candidates.cols, p.candidates.row_stride);
}

}  // namespace

GpSelectionSession::GpSelectionSession(const CriterionProblem& p, CandidateRange range, int threads)
    : SelectionSession(range), problem_(p), candidates_(candidate_rows(p, range)), threads_(threads),
      pool_(gather_pool(p)) {
  const RbfKernel kernel(p.kernel, pool_.state_dim, pool_.task_dim);
  gp_ = std::make_unique<GpPosterior>(kernel, p.noise_variance, pool_.X, pool_.Y);
  const ImportanceWeights weights_of(*gp_, pool_, p, threads);
  cand_w_ = candidates_.rows > 0 ? weights_of(candidates_) : RowMatrix(0, pool_.num_trajectories());
  targets_ = target_occupancy(pool_, p, weights_of(p.targets));
  state_ = std::make_unique<ConditioningState>(gp_->state());
  block_ = std::make_unique<TargetBlock>(*state_, targets_, threads);
}

PassScores GpSelectionSession::score() {
  return criterion_pass(*state_, *block_, pool_, candidates_, cand_w_, targets_, problem_.min_weight, threads_);
}

void GpSelectionSession::condition_on(std::int64_t candidate, std::int64_t trajectory) {
  RowMatrix X(pool_.steps(trajectory), pool_.X.cols());
  relabel_trajectory(pool_, trajectory, problem_.candidates.row(candidate), X, 0);
  state_->extend(X);
  block_->grow(*state_, targets_, X.rows());
}

}  // namespace detail
}  // namespace amf
