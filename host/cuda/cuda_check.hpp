#pragma once
// AMF_CUDA_TRY(call): every CUDA runtime call and launch is checked; a failure throws
// amf::Error naming the call, the file and line, and the CUDA error string.
#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <string>

#include "amf/error.hpp"

#define AMF_CUDA_TRY(call)                                                                   \
  do {                                                                                       \
    const cudaError_t amf_status_ = (call);                                                  \
    if (amf_status_ != cudaSuccess)                                                          \
      throw ::amf::Error(std::string("CUDA error at ") + __FILE__ + ":" +                    \
                         std::to_string(__LINE__) + " in " #call ": " +                      \
                         cudaGetErrorString(amf_status_));                                   \
  } while (0)

namespace amf {
namespace detail {

// Bytes the backend holds in DeviceBuffers now, and the most it held since the last reset: the
// peak device memory the benchmarks report (cuBLAS/cuSOLVER workspaces are not included).
struct DeviceMemoryCounter {
  static std::atomic<std::size_t>& current() {
    static std::atomic<std::size_t> bytes{0};
    return bytes;
  }
  static std::atomic<std::size_t>& peak() {
    static std::atomic<std::size_t> bytes{0};
    return bytes;
  }
  static void reset_peak() { peak() = current().load(); }
  static void add(std::size_t bytes) {
    const std::size_t now = current() += bytes;
    std::size_t seen = peak().load();
    while (now > seen && !peak().compare_exchange_weak(seen, now)) {
    }
  }
  static void remove(std::size_t bytes) { current() -= bytes; }
};

// Where DeviceBuffers allocate on this host thread: a caller's stream-ordered pool
// (CudaResources::memory_pool) and the stream its allocations are ordered on, or none (cudaMalloc).
// CudaContext::make_current() sets it, as it sets the current device: every session entry makes
// its context current, so buffers come from the pool of the backend that allocates them.
struct DevicePool {
  cudaMemPool_t pool = nullptr;
  cudaStream_t stream = nullptr;
};
inline DevicePool& current_device_pool() {
  thread_local DevicePool pool;
  return pool;
}

// Owning device buffer (RAII); never copied (moved, e.g. into a vector), freed without throwing.
// From a pool, the allocation is synchronised once (buffers are used on the context's copy stream
// too, and they are only allocated before a pass's pipelined chunks, never inside them); the free
// is ordered on the allocating stream, after the work already enqueued there.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() : count_(0) {}
  explicit DeviceBuffer(std::size_t count) : count_(0) { allocate(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(other.ptr_), count_(other.count_), free_on_(other.free_on_), pooled_(other.pooled_) {
    other.ptr_ = nullptr;
    other.count_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      ptr_ = other.ptr_;
      count_ = other.count_;
      free_on_ = other.free_on_;
      pooled_ = other.pooled_;
      other.ptr_ = nullptr;
      other.count_ = 0;
    }
    return *this;
  }
  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }
  // At least `count` elements, contents not kept: a session's per-chunk buffers grow to the
  // largest chunk once and are reused by every later chunk and greedy step.
  void grow_to(std::size_t count) {
    if (count <= count_) return;
    release();  // before allocating, so the peak is the new size, not old + new
    allocate(count);
  }

 private:
  void allocate(std::size_t count) {
    if (count == 0) return;
    const DevicePool& from = current_device_pool();
    if (from.pool) {
      void* p = nullptr;
      AMF_CUDA_TRY(cudaMallocFromPoolAsync(&p, count * sizeof(T), from.pool, from.stream));
      ptr_ = static_cast<T*>(p);
      free_on_ = from.stream;
      pooled_ = true;
      AMF_CUDA_TRY(cudaStreamSynchronize(from.stream));
    } else {
      AMF_CUDA_TRY(cudaMalloc(&ptr_, count * sizeof(T)));
      pooled_ = false;
    }
    count_ = count;
    DeviceMemoryCounter::add(count_ * sizeof(T));
  }
  void release() noexcept {
    if (ptr_) {
      if (pooled_)
        cudaFreeAsync(ptr_, free_on_);
      else
        cudaFree(ptr_);
      DeviceMemoryCounter::remove(count_ * sizeof(T));
    }
    ptr_ = nullptr;
    count_ = 0;
  }

  T* ptr_ = nullptr;
  std::size_t count_;
  cudaStream_t free_on_ = nullptr;  // the allocating stream, for a pooled buffer
  bool pooled_ = false;
};

}  // namespace detail
}  // namespace amf
