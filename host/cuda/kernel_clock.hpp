#pragma once
// Device time of the criterion kernels alone, for the benchmarks' TFLOP/s: a rate over a whole
// call (host gathering, copies, Gram GEMMs) says little about the kernel. Off unless a benchmark
// enables it; then a session records a CUDA event pair around each criterion kernel launch and,
// once the pass has synchronised, adds the elapsed times here. Process-wide, like
// DeviceMemoryCounter.
#include <cuda_runtime.h>

#include <atomic>
#include <vector>

#include "cuda/cuda_check.hpp"

namespace amf {
namespace detail {

class KernelClock {
 public:
  static std::atomic<bool>& enabled() {
    static std::atomic<bool> on{false};
    return on;
  }
  static std::atomic<double>& seconds() {
    static std::atomic<double> total{0.0};
    return total;
  }
  static void reset() { seconds() = 0.0; }
};

// One pass's event pairs (only when KernelClock is enabled); events are created lazily and
// reused across passes.
class KernelTimings {
 public:
  KernelTimings() = default;
  KernelTimings(const KernelTimings&) = delete;
  KernelTimings& operator=(const KernelTimings&) = delete;
  ~KernelTimings() {
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
  }
  void start(cudaStream_t s) { record(s); }
  void stop(cudaStream_t s) { record(s); }
  // After the stream has synchronised: adds this pass's kernel time to KernelClock.
  void add_to_clock() {
    double total = 0;
    for (std::size_t k = 0; k + 1 < used_; k += 2) {
      float ms = 0;
      AMF_CUDA_TRY(cudaEventElapsedTime(&ms, events_[k], events_[k + 1]));
      total += ms / 1e3;
    }
    KernelClock::seconds() = KernelClock::seconds() + total;
    used_ = 0;
  }

 private:
  void record(cudaStream_t s) {
    if (!KernelClock::enabled()) return;
    if (used_ == events_.size()) {
      events_.emplace_back();
      AMF_CUDA_TRY(cudaEventCreate(&events_.back()));
    }
    AMF_CUDA_TRY(cudaEventRecord(events_[used_++], s));
  }
  std::vector<cudaEvent_t> events_;
  std::size_t used_ = 0;
};

}  // namespace detail
}  // namespace amf
