#pragma once
// What a caller may ask of a running selection besides its result: progress reports, a way to
// stop it from another thread, and a time limit that fails fast on an estimate instead of
// running for days. The defaults (no callback, no flag, no limit) change nothing.
#include <atomic>
#include <functional>

namespace amf {

struct SelectionProgress {
  int passes_done = 0;  // greedy passes scored so far (one per pick; 1 for evaluate_criterion)
  int passes = 0;       // passes the selection makes in all
  double elapsed_s = 0;
  // Seconds still needed, at least: every later pass costs at least what the last pass and its
  // conditioning did (the conditioning set only grows). -1 until a pass after the first was
  // timed (the first pass also derives what later ones reuse, so it says little about them).
  double remaining_s = -1;
};

struct SelectionControl {
  // Called on the calling thread after every pass. It may throw to stop the selection.
  std::function<void(const SelectionProgress&)> progress;
  // Polled between passes and between blocks of candidates inside a pass (CPU backend); once it
  // reads true the selection stops with amf::Cancelled. Owned by the caller; may be set from any
  // thread (a signal handler's flag, a GUI's stop button).
  const std::atomic<bool>* cancel = nullptr;
  // > 0: as soon as elapsed + remaining_s exceeds it, the selection stops with amf::TooLarge
  // naming the estimate (so a batch size typed with too many digits fails after two passes, not
  // after days). 0: no limit.
  double time_limit_s = 0;
};

}  // namespace amf
