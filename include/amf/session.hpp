#pragma once
// One selection in progress on one backend: the state a greedy batch grows (DESIGN.md section 1).
// A backend opens a session on a validated problem for a contiguous range of its candidates (all
// of them on one process, a shard under MPI). The session scores every candidate of its range
// under the current conditioning and conditions on a pick; a single greedy driver
// (select_batch, select_batch_distributed) does the rest for every backend and both criteria.
// Buffers a pass needs (packed rows, device memory, workspaces) belong to the session, so greedy
// steps reuse them.
#include <cstdint>
#include <memory>
#include <vector>

#include "amf/view.hpp"

namespace amf {

// Candidates [begin, end) of a problem.
struct CandidateRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};

// One pass over a session's candidates, indexed from the range's begin:
// J(c) = sum_i w_i(c) sum_z omega_z log v(z | X_i(c)) (smaller is better) and
// info_gain(c) = 1/2 sum_i w_i(c) sum_z omega_z log(v(z | D) / v(z | D, X_i(c))).
struct PassScores {
  std::vector<double> J;
  std::vector<double> info_gain;
};

class SelectionSession {
 public:
  virtual ~SelectionSession() = default;
  SelectionSession(const SelectionSession&) = delete;
  SelectionSession& operator=(const SelectionSession&) = delete;

  CandidateRange range() const { return range_; }
  // Importance weights w_i(c) of the range's candidates: range().size() x R (pool trajectories),
  // a view of the session's memory. Fixed for the session's lifetime (picks do not change them).
  virtual MatrixView<double> weights() const = 0;
  // Target-occupancy points kept after min_weight pruning.
  virtual std::int64_t num_target_points() const = 0;

  // J and the information gain of every candidate in the range under the current conditioning.
  // with_info_gain = false leaves info_gain empty: a greedy step after the first needs J alone,
  // and on the CPU that halves the logarithms a pass evaluates.
  PassScores score(bool with_info_gain = true) { return score_pass(with_info_gain); }
  // Conditions every later score() on a pick: pool trajectory `trajectory` relabelled with task
  // `candidate` (an index into the whole problem's candidates, not only this range's).
  void condition_on(std::int64_t candidate, std::int64_t trajectory) {
    condition_pick(candidate, trajectory, pick_blocks(candidate, trajectory));
  }
  // The same with the pick's blocks as the session whose range holds the pick returned them from
  // pick_blocks (how the driver conditions every MPI rank's session on a pick that only one rank
  // keeps; empty: the session computes what it needs itself).
  void condition_on(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& blocks) {
    condition_pick(candidate, trajectory, blocks);
  }
  // What conditioning on a pick needs from the pick's own kept blocks (its current Gram, its
  // cross-covariance with the targets, its rows for earlier picks), when this session keeps them:
  // the pick is one of its kept pairs and the session is incremental. Empty otherwise. Deriving
  // them from the kept blocks saves computing the pick's covariance with every target point anew.
  virtual std::vector<double> pick_blocks(std::int64_t /*candidate*/, std::int64_t /*trajectory*/) const {
    return {};
  }

  // How many picks the caller will condition on (a greedy batch of B conditions on B - 1): with
  // none, keeping the first pass's blocks would only cost memory and time, so no session keeps
  // them. The default assumes picks may come.
  void expect_picks(int picks) { picks_expected_ = picks; }
  int picks_expected() const { return picks_expected_; }

  // Incremental conditioning (BackendOptions::session_cache_bytes): whether the session keeps the
  // first pass's cross-covariances and updates them per pick instead of recomputing them, and
  // the bytes it keeps for that. Decided at the first score() (when no pick was made before it).
  // A session whose blocks do not all fit keeps those of as many kept pairs as fit and recomputes
  // the others every pass (incremental() is then true). A pick that would outgrow the budget
  // drops the last pairs' blocks (all of them when not one pair fits any more).
  virtual bool incremental() const { return false; }
  virtual std::int64_t kept_bytes() const { return 0; }

  // Memory the session's problem points into (Backend::open_session's host float64 copies of
  // views it cannot read in place): released with the session, not before.
  void keep_alive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }

 protected:
  explicit SelectionSession(CandidateRange range) : range_(range) {}
  // score()'s work; a session may compute the information gain even when not asked to.
  virtual PassScores score_pass(bool with_info_gain) = 0;
  // condition_on's work; `blocks` is pick_blocks' answer of the session holding the pick, or empty.
  virtual void condition_pick(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& blocks) = 0;

 private:
  CandidateRange range_;
  int picks_expected_ = 1;
  std::vector<std::shared_ptr<const void>> owners_;
};

}  // namespace amf
