#pragma once
// The log-probability half of resolve_views (feature_problem.hpp), for the entries that read the
// weights alone (kept_candidate_pairs): candidate_logp, target_logp and own_logp as host float64,
// copies kept in `storage`; the features are left as they are. And the feature half for one set.
#include <vector>

#include "amf/feature_problem.hpp"

namespace amf {
namespace detail {

void resolve_weight_views(FeatureCriterionProblem& problem, std::vector<std::vector<double>>& storage);

// A copy of `set` whose views are all host float64 (the public feature_gram / feature_diagonal
// read any set): converted views in `storage`.
FeatureSet host_float64_features(const FeatureSet& set, std::vector<std::vector<double>>& storage, const char* what);

}  // namespace detail
}  // namespace amf
