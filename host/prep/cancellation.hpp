#pragma once
// The caller's stop flag (SelectionControl::cancel) as every CPU loop of a selection sees it:
// the driver installs it for its thread, and parallel_for reads it once on entry and checks it
// before every index, so a pass stops within one block of candidates without each session
// threading the flag through its code.
#include <atomic>

#include "amf/error.hpp"

namespace amf {
namespace detail {

inline const std::atomic<bool>*& installed_cancel_flag() {
  thread_local const std::atomic<bool>* flag = nullptr;
  return flag;
}

inline void throw_if_cancelled(const std::atomic<bool>* flag) {
  if (flag && flag->load(std::memory_order_relaxed)) throw Cancelled("amf: selection cancelled by the caller");
}

// Installs `flag` for this thread for the scope (restoring the previous one: selections nest
// when a study's selection runs inside another caller's).
class ScopedCancelFlag {
 public:
  explicit ScopedCancelFlag(const std::atomic<bool>* flag) : previous_(installed_cancel_flag()) {
    if (flag) installed_cancel_flag() = flag;
  }
  ~ScopedCancelFlag() { installed_cancel_flag() = previous_; }
  ScopedCancelFlag(const ScopedCancelFlag&) = delete;
  ScopedCancelFlag& operator=(const ScopedCancelFlag&) = delete;

 private:
  const std::atomic<bool>* previous_;
};

}  // namespace detail
}  // namespace amf
