#pragma once
// One object owning what the CUDA backend needs: the stream, the cuBLAS and cuSOLVER handles,
// and checked wrappers for their status codes (errors thrown as amf::Error with the call site).
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <string>

#include "amf/cuda_resources.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/pinned_buffer.hpp"

#define AMF_CUBLAS_TRY(call)                                                                   \
  do {                                                                                         \
    const cublasStatus_t amf_status_ = (call);                                                 \
    if (amf_status_ != CUBLAS_STATUS_SUCCESS)                                                  \
      throw ::amf::Error(std::string("cuBLAS error at ") + __FILE__ + ":" +                    \
                         std::to_string(__LINE__) + " in " #call ": status " +                 \
                         std::to_string(static_cast<int>(amf_status_)));                       \
  } while (0)

#define AMF_CUSOLVER_TRY(call)                                                                 \
  do {                                                                                         \
    const cusolverStatus_t amf_status_ = (call);                                               \
    if (amf_status_ != CUSOLVER_STATUS_SUCCESS)                                                \
      throw ::amf::Error(std::string("cuSOLVER error at ") + __FILE__ + ":" +                  \
                         std::to_string(__LINE__) + " in " #call ": status " +                 \
                         std::to_string(static_cast<int>(amf_status_)));                       \
  } while (0)

namespace amf {
namespace detail {

class CudaContext {
 public:
  // Makes the device current on this thread and creates the handles on the caller's stream (or
  // on a stream of its own). Throws amf::InvalidArgument for a device that does not exist or a
  // memory pool that is not the device's.
  explicit CudaContext(const CudaResources& resources = {});
  int device() const { return device_; }
  // Streaming multiprocessors of the device: with a kernel's resident blocks per SM, one wave.
  int multiprocessors() const { return multiprocessors_; }
  // The current device and the pool DeviceBuffers take memory from are per host thread: every
  // session entry makes the context's current.
  void make_current() const {
    AMF_CUDA_TRY(cudaSetDevice(device_));
    current_device_pool() = DevicePool{pool_, stream_};
  }
  // Orders the context's stream after the work the caller enqueued before opening a session: on
  // its stream when it lent one (then there is nothing to do), else on the legacy default stream
  // (where a framework's default stream writes the features amf is about to read).
  void order_after_caller() const;
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  cudaStream_t stream() const { return stream_; }
  // A second stream for host-to-device copies, so a chunk's upload overlaps the previous chunk's
  // kernels on stream() (ordered by events, cuda/device_features.hpp).
  cudaStream_t copy_stream() const { return copy_stream_; }
  // Pinned host staging, two slots (double buffering). Owned here, not by a session, so the
  // slow pinning happens once per backend rather than once per evaluation.
  PinnedBuffer<double>& pinned_staging(int slot) const { return pinned_[slot]; }
  cublasHandle_t blas() const { return blas_; }
  cusolverDnHandle_t solver() const { return solver_; }
  void synchronize() const { AMF_CUDA_TRY(cudaStreamSynchronize(stream_)); }

 private:
  int device_ = 0;
  int multiprocessors_ = 0;
  cudaStream_t stream_ = nullptr;
  bool owns_stream_ = true;          // false: the caller's (CudaResources::stream)
  cudaMemPool_t pool_ = nullptr;     // the caller's pool, or null (cudaMalloc)
  cudaEvent_t caller_done_ = nullptr;
  cudaStream_t copy_stream_ = nullptr;
  mutable PinnedBuffer<double> pinned_[2];
  cublasHandle_t blas_ = nullptr;
  cusolverDnHandle_t solver_ = nullptr;
};

}  // namespace detail
}  // namespace amf
