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

// The same sums for the given pairs only (in candidate order, trajectories ascending within a
// candidate), added to scores.J and scores.info_gain at pair.candidate - first; `candidates`
// holds row pair.candidate for every pair. Each candidate's pairs are summed in their order, so
// the full pass and a pass split into pair lists agree bit for bit on every candidate.
void add_pair_scores(const ConditioningState& state, const TargetBlock& block, const PoolData& pool,
                     const MatrixView<double>& candidates, const std::vector<CandidatePair>& pairs,
                     std::int64_t first, const TargetOccupancy& targets, int threads, PassScores& scores);

}  // namespace detail
}  // namespace amf
