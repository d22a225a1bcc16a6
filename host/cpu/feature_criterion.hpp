#pragma once
#include "amf/feature_problem.hpp"

namespace amf {
namespace detail {

// The feature criterion on the CPU (float64, threads over candidates).
CriterionResult feature_criterion_cpu(const FeatureCriterionProblem& problem, bool select, int threads);

}  // namespace detail
}  // namespace amf
