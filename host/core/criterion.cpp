// The public criterion entries: validate (in Backend::open_session), open a session on the whole
// problem, run the one greedy driver.
#include "amf/criterion.hpp"

#include <algorithm>
#include <cstdio>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "core/greedy_driver.hpp"
#include "core/system_memory.hpp"

namespace amf {
namespace {

// AMF-GP conditions on every pick by growing the pool's Cholesky factor by the pick's steps: with
// B picks it is at least (pool steps + (B - 1) x the shortest trajectory)^2 doubles. A batch size
// whose factor cannot fit the machine fails here, before any work, with the size.
void check_conditioning_memory(const CriterionProblem& p) {
  const auto& offsets = p.traj_offsets;
  if (offsets.size < 2 || p.batch_size <= 1) return;
  std::int64_t shortest = offsets.data[1] - offsets.data[0];
  for (std::int64_t i = 1; i + 1 < offsets.size; ++i) shortest = std::min(shortest, offsets.data[i + 1] - offsets.data[i]);
  const double steps = static_cast<double>(offsets.data[offsets.size - 1]) +
                       static_cast<double>(p.batch_size - 1) * static_cast<double>(std::max<std::int64_t>(shortest, 1));
  const double bytes = 8.0 * steps * steps;
  const double memory = detail::physical_memory_bytes();
  if (memory > 0 && bytes > memory) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "a batch of %d picks conditions the GP on at least %.0f steps: its Cholesky factor alone "
                  "needs %.3g GB, more than this machine's %.3g GB of memory (choose a smaller batch_size)",
                  p.batch_size, steps, bytes / 1e9, memory / 1e9);
    throw TooLarge(buf);
  }
}
void check_conditioning_memory(const FeatureCriterionProblem&) {}

template <typename Problem>
std::unique_ptr<SelectionSession> open_checked(Backend& backend, const Problem& problem, CandidateRange range,
                                               bool select) {
  // The batch size is checked first, with validate's message (the rest is validated when the
  // session opens, once).
  if (select && problem.batch_size < 1) validate(problem, /*for_batch_selection=*/true);
  if (select) check_conditioning_memory(problem);
  return backend.open_session(problem, range);
}

template <typename Problem>
CriterionResult run(const Problem& problem, std::int64_t candidates, Backend& backend, bool select,
                    const SelectionControl& control = {}) {
  const auto session = open_checked(backend, problem, CandidateRange{0, candidates}, select);
  detail::LocalExchange local;
  return detail::run_greedy(*session, problem.batch_size, select, local, control);
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
CriterionResult evaluate_criterion(const CriterionProblem& problem, Backend& backend, const SelectionControl& control) {
  return run(problem, problem.candidates.rows, backend, /*select=*/false, control);
}
CriterionResult select_batch(const CriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidates.rows, backend, /*select=*/true);
}
CriterionResult select_batch(const CriterionProblem& problem, Backend& backend, const SelectionControl& control) {
  return run(problem, problem.candidates.rows, backend, /*select=*/true, control);
}
CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidate_logp.rows, backend, /*select=*/false);
}
CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend,
                                   const SelectionControl& control) {
  return run(problem, problem.candidate_logp.rows, backend, /*select=*/false, control);
}
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend) {
  return run(problem, problem.candidate_logp.rows, backend, /*select=*/true);
}
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend, const SelectionControl& control) {
  return run(problem, problem.candidate_logp.rows, backend, /*select=*/true, control);
}

}  // namespace amf
