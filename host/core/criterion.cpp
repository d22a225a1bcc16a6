// The public criterion entries: validate (in Backend::open_session), open a session on the whole
// problem, run the one greedy driver.
#include "amf/criterion.hpp"

#include "amf/backend.hpp"
#include "core/greedy_driver.hpp"

namespace amf {
namespace {

template <typename Problem>
std::unique_ptr<SelectionSession> open_checked(Backend& backend, const Problem& problem, CandidateRange range,
                                               bool select) {
  // The batch size is checked first, with validate's message (the rest is validated when the
  // session opens, once).
  if (select && problem.batch_size < 1) validate(problem, /*for_batch_selection=*/true);
  return backend.open_session(problem, range);
}

template <typename Problem>
CriterionResult run(const Problem& problem, std::int64_t candidates, Backend& backend, bool select) {
  const auto session = open_checked(backend, problem, CandidateRange{0, candidates}, select);
  detail::LocalExchange local;
  return detail::run_greedy(*session, problem.batch_size, select, local);
}

}  // namespace

namespace detail {
std::unique_ptr<SelectionSession> open_selection_session(Backend& backend, const CriterionProblem& problem,
                                                         CandidateRange range, bool select) {
  return open_checked(backend, problem, range, select);
}
std::unique_ptr<SelectionSession> open_selection_session(Backend& backend, const FeatureCriterionProblem& problem,
                                                         CandidateRange range, bool select) {
  return open_checked(backend, problem, range, select);
}
}  // namespace detail

CriterionResult evaluate_criterion(const CriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidates.rows, backend, /*select=*/false);
}
CriterionResult select_batch(const CriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidates.rows, backend, /*select=*/true);
}
CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidate_logp.rows, backend, /*select=*/false);
}
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidate_logp.rows, backend, /*select=*/true);
}

}  // namespace amf
