#pragma once
// What the GP study and the criterion-versus-gain study share: a run's seed and pre-training, the
// multi-task evaluation of a GP policy fitted to a dataset, and the AMF-GP problem over candidate goals (angles) with the
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

// The seed of one (k, seed) run: every random stream of the run is mixed from it.
std::uint64_t gp_run_seed(const GpStudyConfig& cfg, int k, int seed);

// Pre-training of a run: cfg.pretrain_demos noisy expert demonstrations, round-robin over the first
// k evaluation tasks, their noise drawn from run_seed.
Dataset pretraining_demonstrations(const GpStudyConfig& cfg, int k, std::uint64_t run_seed);

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
