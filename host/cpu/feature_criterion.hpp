#pragma once
#include <cstdint>
#include <memory>

#include "amf/feature_problem.hpp"
#include "amf/session.hpp"

namespace amf {
namespace detail {

// The feature criterion's session on the CPU (float64, or float32 GEMMs as gram_precision says;
// threads over target blocks). cache_budget: bytes the first pass's kept blocks may take for
// incremental conditioning (cross_covariance_cache.hpp); 0 recomputes every pass.
std::unique_ptr<SelectionSession> open_feature_session_cpu(const FeatureCriterionProblem& problem,
                                                           CandidateRange range, int threads,
                                                           std::int64_t cache_budget);

}  // namespace detail
}  // namespace amf
