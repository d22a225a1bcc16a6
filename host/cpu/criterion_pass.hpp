#pragma once
// One pass of the criterion over all candidates for a given conditioning state (the pool, plus
// the pseudo-demonstrations picked so far in this batch).
#include <vector>

#include "amf/problem.hpp"
#include "cpu/pool_data.hpp"
#include "cpu/target_occupancy.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

struct PassScores {
  std::vector<double> J;
  std::vector<double> info_gain;
};

// J(c) and the information gain for every candidate row c, with k_D the posterior covariance
// of `state`. Trajectories with w_i(c) < min_weight are skipped.
PassScores criterion_pass(const ConditioningState& state, const PoolData& pool,
                          const MatrixView<double>& candidates, const RowMatrix& weights,
                          const TargetOccupancy& targets, double min_weight, int threads);

}  // namespace detail
}  // namespace amf
