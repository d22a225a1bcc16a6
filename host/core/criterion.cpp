// The public criterion entries: validate (in Backend::open_session), open a session on the whole
// problem, run the one greedy driver.
#include "amf/criterion.hpp"

#include "amf/backend.hpp"
#include "core/greedy_driver.hpp"

namespace amf {
namespace {

template <typename Problem>
CriterionResult run(const Problem& problem, Backend& backend, bool select) {
  // The batch size is checked first, with validate's message (the rest is validated when the
  // session opens, once).
  if (select && problem.batch_size < 1) validate(problem, /*for_batch_selection=*/true);
  const auto session = backend.open_session(problem);
  detail::LocalExchange local;
  return detail::run_greedy(*session, problem.batch_size, select, local);
}

}  // namespace

CriterionResult evaluate_criterion(const CriterionProblem& problem, Backend& backend) {
  return run(problem, backend, /*select=*/false);
}
CriterionResult select_batch(const CriterionProblem& problem, Backend& backend) {
  return run(problem, backend, /*select=*/true);
}
CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend) {
  return run(problem, backend, /*select=*/false);
}
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend) {
  return run(problem, backend, /*select=*/true);
}

}  // namespace amf
