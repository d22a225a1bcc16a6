#pragma once
// One pass of the criterion over all candidates for a given conditioning state (the pool, plus
// the pseudo-demonstrations picked so far in this batch).
#include <vector>

#include "amf/problem.hpp"
#include "amf/session.hpp"
#include "prep/pool_data.hpp"
#include "prep/target_occupancy.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// The target points seen through the conditioning state: U = L^-1 k(X, Z) and the variances
// k_D(z, z) = k(z, z) - |U_z|^2. Built once (column blocks in parallel), then grown by the T new
// rows of each pick instead of being recomputed.
struct TargetBlock {
  Eigen::MatrixXd U;  // n' x M
  Eigen::VectorXd variance;

  TargetBlock(const ConditioningState& state, const TargetOccupancy& targets, int threads);
  // After state.extend(new_points): append the rows of the new points.
  void grow(const ConditioningState& state, const TargetOccupancy& targets, Eigen::Index added);
};

// J(c) and the information gain for every candidate row c, with k_D the posterior covariance
// of `state` (and `block` its view of the targets). Trajectories with w_i(c) < min_weight are
// skipped.
PassScores criterion_pass(const ConditioningState& state, const TargetBlock& block, const PoolData& pool,
                          const MatrixView<double>& candidates, const RowMatrix& weights,
                          const TargetOccupancy& targets, double min_weight, int threads);

}  // namespace detail
}  // namespace amf
