#include "amf/criterion.hpp"

#include "amf/backend.hpp"

namespace amf {

CriterionResult evaluate_criterion(const CriterionProblem& problem, Backend& backend) {
  validate(problem, /*for_batch_selection=*/false);
  return backend.run(problem, /*select=*/false);
}

CriterionResult select_batch(const CriterionProblem& problem, Backend& backend) {
  validate(problem, /*for_batch_selection=*/true);
  return backend.run(problem, /*select=*/true);
}

CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend) {
  validate(problem, /*for_batch_selection=*/false);
  return backend.run(problem, /*select=*/false);
}

CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend) {
  validate(problem, /*for_batch_selection=*/true);
  return backend.run(problem, /*select=*/true);
}

}  // namespace amf
