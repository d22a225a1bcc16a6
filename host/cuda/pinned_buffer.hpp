#pragma once
// Page-locked host memory for the chunks a session stages for the device. Why: a copy from
// pageable memory goes through a driver bounce buffer and runs in series with the caller, while
// one from pinned memory is a DMA that overlaps with kernels on another stream. Pinning is slow
// (it maps and locks every page), so a session allocates its staging once, at the largest chunk
// it plans, and reuses it for every chunk and pass.
#include <cuda_runtime.h>

#include <cstddef>

#include "cuda/cuda_check.hpp"

namespace amf {
namespace detail {

template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }
  // At least `count` elements, contents not kept.
  void grow_to(std::size_t count) {
    if (count <= count_) return;
    release();
    AMF_CUDA_TRY(cudaHostAlloc(reinterpret_cast<void**>(&ptr_), count * sizeof(T), cudaHostAllocDefault));
    count_ = count;
  }

 private:
  void release() noexcept {
    if (ptr_) cudaFreeHost(ptr_);
    ptr_ = nullptr;
    count_ = 0;
  }
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace detail
}  // namespace amf
