#pragma once
// The state of one AMF-GP selection on the CPU, for a (possibly partial) set of candidates: the
// GP on the pool, importance weights, target occupancy and the conditioning state that greedy
// picks grow. The single-process backend runs it on every candidate; the MPI driver
// (host/dist/) runs one per rank on its shard and conditions every rank on each global pick, so
// every score equals the single-process one.
#include <memory>

#include "amf/problem.hpp"
#include "cpu/criterion_pass.hpp"
#include "cpu/pool_data.hpp"
#include "cpu/target_occupancy.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

class GpSelectionSession {
 public:
  // `candidates` may be any subset of the problem's candidates (a shard; possibly empty).
  GpSelectionSession(const CriterionProblem& problem, const MatrixView<double>& candidates, int threads);

  // J and the information gain of every candidate of the shard under the current conditioning.
  PassScores pass() const;
  // The pool trajectory relabelled as a candidate's pseudo-demonstration (largest weight).
  std::int64_t pseudo_trajectory(std::int64_t candidate) const;
  // Condition on a pick: pool trajectory `trajectory` relabelled with `task` (rank-T extension).
  void condition_on(const double* task, std::int64_t trajectory);

  const RowMatrix& weights() const { return cand_w_; }  // shard x R
  std::int64_t num_target_points() const { return targets_.points.rows(); }

 private:
  const CriterionProblem& problem_;
  MatrixView<double> candidates_;
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
