#pragma once
// What the GP study and the criterion-versus-gain study share: the multi-task evaluation of a GP
// policy fitted to a dataset, and the AMF-GP problem over candidate goals (angles) with the
// evaluation tasks as uniformly weighted targets.
#include <cstdint>
#include <vector>

#include "amf/dataset.hpp"
#include "amf/harness/study.hpp"
#include "amf/problem.hpp"

namespace amf {
namespace detail {

struct Evaluation {
  double multitask_return;
  double entropy;
};

// Multi-task return over the evaluation tasks (episodes seeded from `seed`), and the mean policy
// entropy on the target occupancy (the states of noise-free expert runs of every evaluation task).
Evaluation evaluate_gp_policy(const GpStudyConfig& cfg, const Dataset& data, std::uint64_t seed);

// The AMF-GP problem of choosing among goals at `angles` for the GP policy on `data`, targets the
// evaluation tasks; the problem views the arrays held here (keep the object alive).
struct GoalSelectionProblem {
  GoalSelectionProblem(const GpStudyConfig& cfg, const Dataset& data, const std::vector<double>& angles);
  GoalSelectionProblem(const GoalSelectionProblem&) = delete;
  GoalSelectionProblem& operator=(const GoalSelectionProblem&) = delete;

  PoolArrays pool;
  std::vector<double> candidates, targets, probs;
  CriterionProblem problem;
};

}  // namespace detail
}  // namespace amf
