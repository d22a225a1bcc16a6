#pragma once
// One selection in progress on one backend: the state a greedy batch grows (DESIGN.md section 1).
// A backend opens a session on a validated problem for a contiguous range of its candidates (all
// of them on one process, a shard under MPI). The session scores every candidate of its range
// under the current conditioning and conditions on a pick; a single greedy driver
// (select_batch, select_batch_distributed) does the rest for every backend and both criteria.
// Buffers a pass needs (packed rows, device memory, workspaces) belong to the session, so greedy
// steps reuse them.
#include <cstdint>
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
  virtual PassScores score() = 0;
  // Conditions every later score() on a pick: pool trajectory `trajectory` relabelled with task
  // `candidate` (an index into the whole problem's candidates, not only this range's).
  virtual void condition_on(std::int64_t candidate, std::int64_t trajectory) = 0;

 protected:
  explicit SelectionSession(CandidateRange range) : range_(range) {}

 private:
  CandidateRange range_;
};

}  // namespace amf
