#pragma once
// The state of one AMF-GP selection on the CPU, for a range of the candidates (all of them, or
// one MPI rank's shard): the GP on the pool, importance weights, target occupancy and the
// conditioning state that greedy picks grow.
#include <memory>

#include "amf/problem.hpp"
#include "amf/session.hpp"
#include "cpu/criterion_pass.hpp"
#include "prep/pool_data.hpp"
#include "prep/target_occupancy.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

class GpSelectionSession final : public SelectionSession {
 public:
  GpSelectionSession(const CriterionProblem& problem, CandidateRange range, int threads);

  MatrixView<double> weights() const override {
    return MatrixView<double>(cand_w_.data(), cand_w_.rows(), cand_w_.cols());
  }
  std::int64_t num_target_points() const override { return targets_.points.rows(); }
  PassScores score() override;
  // Condition on a pick: pool trajectory `trajectory` relabelled with the candidate's task
  // (rank-T extension of the conditioning factor and of the targets' block).
  void condition_on(std::int64_t candidate, std::int64_t trajectory) override;

 private:
  const CriterionProblem& problem_;
  MatrixView<double> candidates_;  // the range's rows
  int threads_;
  PoolData pool_;
  std::unique_ptr<GpPosterior> gp_;
  RowMatrix cand_w_;
  TargetOccupancy targets_;
  std::unique_ptr<ConditioningState> state_;
  std::unique_ptr<TargetBlock> block_;
};

}  // namespace detail
}  // namespace amf
