#pragma once
// What both backends compute on the host for the feature (AMF-NN) criterion before any Gram:
// the importance weights of candidates and targets from the caller's log-probabilities, the
// target occupancy (rows of target_features and their weights) and its prior variances.
#include <cstdint>
#include <vector>

#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"
#include "amf/session.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

struct FeatureTargets {
  RowMatrix candidate_weights;     // range x R: the weights of a session's candidates
  std::vector<std::int64_t> rows;  // target occupancy: rows of target_features
  std::vector<double> omega;       // and their weights
  std::vector<std::int64_t> groups;  // and their groups (FeatureCriterionProblem::target_groups; 0 without;
                                     // with groups the points are ordered by group)
  Eigen::VectorXd prior;           // k(z, z) for those rows
};

// `threads` workers for the prior variances (the one part whose cost grows with M).
FeatureTargets feature_targets(const FeatureCriterionProblem& p, CandidateRange range, int threads = 1);

// The kept (candidate, trajectory) pairs of a range's weights (range x R), with candidate indices
// into the whole problem.
std::vector<CandidatePair> kept_range_pairs(const RowMatrix& range_weights, CandidateRange range, double min_weight);

// Rows of candidate_features of pool trajectory i's steps relabelled with candidate c.
std::vector<std::int64_t> candidate_rows(const FeatureCriterionProblem& p, std::int64_t c, std::int64_t i);

// The candidates' importance weights (N x R) from the log-probabilities alone.
RowMatrix candidate_importance_weights(const FeatureCriterionProblem& p);

// Throws amf::InvalidArgument naming a bad field among those the importance weights read
// (traj_offsets, candidate_logp, own_logp, clip, min_weight).
void validate_weight_inputs(const FeatureCriterionProblem& p);

// The same for the targets' weights (traj_offsets, target_logp, own_logp, target_probs, clip,
// min_weight; candidate_logp may be empty).
void validate_target_weight_inputs(const FeatureCriterionProblem& p);

// The target occupancy's points as indices k n + t (kept_target_steps without the checks).
std::vector<std::int64_t> target_steps(const FeatureCriterionProblem& p);

}  // namespace detail
}  // namespace amf
