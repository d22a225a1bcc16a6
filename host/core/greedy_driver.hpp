#pragma once
// The one greedy batch driver of amf: score every candidate, pick the smallest J (the first on
// ties), record the pick and its pseudo-demonstration (the pool trajectory of largest importance
// weight), condition the session on it, repeat. Every backend and both criteria run through it,
// on one process (LocalExchange) and sharded over MPI ranks (host/dist/).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/selection_control.hpp"
#include "amf/session.hpp"

namespace amf {
namespace detail {

struct ScoredCandidate {
  double J;
  std::int64_t candidate;  // index into the whole problem; -1 when a range is empty
};

// How the processes of one selection agree. Each holds one session over its own range; the ranges
// tile the candidates in order.
class PickExchange {
 public:
  virtual ~PickExchange() = default;
  // Runs work that may fail on this process only; if it failed on any process, every process
  // throws amf::Error with the first failing process's message (so none waits forever).
  virtual void run_local(const std::function<void()>& work) = 0;
  // Every candidate's `width` values, concatenated in candidate order from each range's `mine`.
  virtual std::vector<double> gather(const double* mine, std::int64_t range_size, std::int64_t width) = 0;
  // The smallest J over all processes, the smallest candidate index on ties.
  virtual ScoredCandidate best(const ScoredCandidate& mine) = 0;
  // The values of the process whose range holds `candidate` (its `mine`), on every process.
  virtual std::vector<double> from_owner(std::vector<double> mine, std::int64_t candidate) = 0;
  // The largest of every process's value (so that a decision taken on it is the same everywhere).
  virtual double agree_max(double mine) = 0;
};

// One process: nothing to exchange.
class LocalExchange final : public PickExchange {
 public:
  void run_local(const std::function<void()>& work) override { work(); }
  std::vector<double> gather(const double* mine, std::int64_t range_size, std::int64_t width) override {
    return std::vector<double>(mine, mine + range_size * width);
  }
  ScoredCandidate best(const ScoredCandidate& mine) override { return mine; }
  std::vector<double> from_owner(std::vector<double> mine, std::int64_t) override { return mine; }
  double agree_max(double mine) override { return mine; }
};

// The range's best candidate: smallest J, first on ties ({+inf, -1} for an empty range).
ScoredCandidate best_in_range(const std::vector<double>& J, std::int64_t begin);

// Appends the pick to result.batch (with its J and its pseudo-demonstration: the pool trajectory
// of largest weight in row pick.candidate of `weights`, N x R) and returns that trajectory.
std::int64_t record_pick(const ScoredCandidate& pick, const double* weights, std::int64_t R, CriterionResult& result);

// The public entries' way to open a session: for a selection the batch size is checked first
// (validate's message), then Backend::open_session validates the rest once.
std::unique_ptr<SelectionSession> open_selection_session(Backend& backend, const CriterionProblem& problem,
                                                         CandidateRange range, bool select);
std::unique_ptr<SelectionSession> open_selection_session(Backend& backend, const FeatureCriterionProblem& problem,
                                                         CandidateRange range, bool select);

// select = false: one pass (J and the information gain, no batch). select = true: batch_size
// picks with conditioning after each but the last. `control` reports progress after each pass,
// stops on its flag (amf::Cancelled) and on an estimate beyond its time limit (amf::TooLarge).
CriterionResult run_greedy(SelectionSession& session, int batch_size, bool select, PickExchange& exchange,
                           const SelectionControl& control = {});

}  // namespace detail
}  // namespace amf
