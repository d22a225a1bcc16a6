#pragma once
#include <memory>

#include "amf/feature_problem.hpp"
#include "amf/session.hpp"

namespace amf {
namespace detail {

// The feature criterion's session on the CPU (float64, or float32 GEMMs as gram_precision says;
// threads over target blocks).
std::unique_ptr<SelectionSession> open_feature_session_cpu(const FeatureCriterionProblem& problem,
                                                           CandidateRange range, int threads);

}  // namespace detail
}  // namespace amf
