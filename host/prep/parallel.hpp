#pragma once
// A minimal parallel-for over [0, n): `threads` workers take indices from a shared counter
// (dynamic scheduling: per-index costs differ). The first exception is rethrown on the caller.
// The calling thread's stop flag (cancellation.hpp) is checked before every index.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "prep/cancellation.hpp"

namespace amf {
namespace detail {

inline int resolve_threads(int requested) {
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// As parallel_for, with a State each worker default-constructs once and passes to every body it
// runs (scratch buffers reused across indices instead of reallocated per index).
template <typename State, typename Body>
void parallel_for_with(std::int64_t n, int threads, Body&& body) {
  threads = static_cast<int>(std::min<std::int64_t>(resolve_threads(threads), n));
  const std::atomic<bool>* cancel = installed_cancel_flag();
  if (threads <= 1) {
    State state;
    for (std::int64_t i = 0; i < n; ++i) {
      throw_if_cancelled(cancel);
      body(state, i);
    }
    return;
  }
  std::atomic<std::int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    State state;
    for (std::int64_t i; (i = next++) < n;) {
      try {
        throw_if_cancelled(cancel);
        body(state, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

template <typename Body>
void parallel_for(std::int64_t n, int threads, Body&& body) {
  struct None {};
  parallel_for_with<None>(n, threads, [&](None&, std::int64_t i) { body(i); });
}

}  // namespace detail
}  // namespace amf
