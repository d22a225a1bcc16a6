#pragma once
// Checks shared by both criteria's validators (GP and feature): the selection settings, the
// trajectory offsets and the target probabilities. Each failure throws amf::InvalidArgument
// "<prefix>: <message naming the field>".
#include <cstdint>
#include <string>

#include "amf/feature_problem.hpp"
#include "amf/problem.hpp"

namespace amf {
namespace detail {

void check_selection_settings(const std::string& prefix, double noise_variance, const LogProbClip& clip,
                              double min_weight, int batch_size, bool for_batch_selection);

// Offsets must start at 0 and increase strictly (every trajectory has >= 1 step). Returns the
// number of trajectories R.
std::int64_t check_traj_offsets(const std::string& prefix, const VectorView<std::int64_t>& offsets);

// K entries, each finite and >= 0, summing to 1 within 1e-6.
void check_target_probs(const std::string& prefix, const VectorView<double>& probs, std::int64_t K);

// validate(FeatureCriterionProblem) with a choice: feature_values = false checks the features'
// forms and shapes but not their values, which the sessions check row by row as they read them
// (a selection reads the kept pairs' rows only, often a small part of candidate_features).
void validate_feature_problem(const FeatureCriterionProblem& p, bool for_batch_selection, bool feature_values);

}  // namespace detail
}  // namespace amf
