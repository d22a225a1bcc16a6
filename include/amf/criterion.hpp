#pragma once
// The AMF criterion as a library call. Everything in amf (studies, CLI, Python) goes through
// these two functions; they dispatch to a Backend (backend.hpp).
#include <cstdint>
#include <vector>

#include "amf/problem.hpp"
#include "amf/selection_control.hpp"

namespace amf {

class Backend;

// A (candidate, pool trajectory) pair the criterion's sums keep, with its importance weight.
struct CandidatePair {
  std::int64_t candidate, trajectory;
  double weight;  // w_i(c)
};

struct CriterionResult {
  // One entry per candidate, for the conditioning state before any pick of this batch:
  // J(c) = sum_i w_i(c) sum_z omega_z log v(z | X_i(c))   (smaller is better), and
  // info_gain(c) = 1/2 sum_i w_i(c) sum_z omega_z log(v(z | {}) / v(z | X_i(c))).
  std::vector<double> J;
  std::vector<double> info_gain;

  // Greedy batch (empty from evaluate_criterion): candidate indices in pick order, the J each
  // had when picked, and the pool trajectory relabelled as its pseudo-demonstration.
  std::vector<std::int64_t> batch;
  std::vector<double> batch_J;
  std::vector<std::int64_t> pseudo_demo_trajectory;

  // Importance weights w_i(c), N x R row-major (candidates x pool trajectories).
  std::vector<double> weights;
  // Number of target-occupancy points kept after min_weight pruning.
  std::int64_t num_target_points = 0;
};

// J and information gain for every candidate (no batch).
CriterionResult evaluate_criterion(const CriterionProblem& problem, Backend& backend);
// With a stop flag and a progress report after the pass (selection_control.hpp).
CriterionResult evaluate_criterion(const CriterionProblem& problem, Backend& backend, const SelectionControl& control);

// J and information gain of the first pass, plus the greedy batch of problem.batch_size picks
// with pseudo-demonstration conditioning after each pick.
// batch_size may exceed the number of candidates: after conditioning on a pseudo-demonstration
// of a task, the same task may still be the most informative, and it is then picked again.
// The work grows about cubically in the batch; `control` reports progress, stops on request and
// fails fast on an estimate beyond a time limit (selection_control.hpp). Before any work, a GP
// selection whose conditioning factor could not fit the machine's memory at the last pick throws
// amf::TooLarge with the size.
CriterionResult select_batch(const CriterionProblem& problem, Backend& backend);
CriterionResult select_batch(const CriterionProblem& problem, Backend& backend, const SelectionControl& control);

}  // namespace amf
