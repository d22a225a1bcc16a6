#include "cuda/cuda_context.hpp"

namespace amf {
namespace detail {
namespace {

// A pool lent for `device` must be one the device allocates from (its location is the device).
void check_pool(cudaMemPool_t pool, int device) {
  cudaMemLocation location{};
  location.type = cudaMemLocationTypeDevice;
  location.id = device;
  cudaMemAccessFlags flags = cudaMemAccessFlagsProtNone;
  if (cudaMemPoolGetAccess(&flags, pool, &location) != cudaSuccess || flags != cudaMemAccessFlagsProtReadWrite) {
    cudaGetLastError();
    throw InvalidArgument("CudaResources::memory_pool is not a memory pool that cuda:" + std::to_string(device) +
                          " can read and write");
  }
}

}  // namespace

CudaContext::CudaContext(const CudaResources& resources)
    : device_(resources.device), owns_stream_(resources.stream == nullptr),
      pool_(static_cast<cudaMemPool_t>(resources.memory_pool)) {
  int count = 0;
  AMF_CUDA_TRY(cudaGetDeviceCount(&count));
  if (device_ < 0 || device_ >= count)
    throw InvalidArgument("CUDA device " + std::to_string(device_) + " does not exist (" + std::to_string(count) +
                          " visible)");
  AMF_CUDA_TRY(cudaSetDevice(device_));
  AMF_CUDA_TRY(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, device_));
  if (pool_) check_pool(pool_, device_);
  if (owns_stream_)
    AMF_CUDA_TRY(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  else
    stream_ = static_cast<cudaStream_t>(resources.stream);
  try {
    AMF_CUDA_TRY(cudaEventCreateWithFlags(&caller_done_, cudaEventDisableTiming));
    AMF_CUDA_TRY(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking));
    AMF_CUBLAS_TRY(cublasCreate(&blas_));
    AMF_CUBLAS_TRY(cublasSetStream(blas_, stream_));
    // float64 throughout: no TF32 or reduced-precision tensor-core paths.
    AMF_CUBLAS_TRY(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH));
    AMF_CUSOLVER_TRY(cusolverDnCreate(&solver_));
    AMF_CUSOLVER_TRY(cusolverDnSetStream(solver_, stream_));
  } catch (...) {
    if (blas_) cublasDestroy(blas_);
    if (copy_stream_) cudaStreamDestroy(copy_stream_);
    if (caller_done_) cudaEventDestroy(caller_done_);
    if (owns_stream_) cudaStreamDestroy(stream_);
    throw;
  }
}

void CudaContext::order_after_caller() const {
  if (!owns_stream_) return;  // amf works on the caller's stream: already in order
  AMF_CUDA_TRY(cudaEventRecord(caller_done_, cudaStreamLegacy));
  AMF_CUDA_TRY(cudaStreamWaitEvent(stream_, caller_done_, 0));
}

CudaContext::~CudaContext() {  // no-throw: destroy what exists, ignore status
  if (solver_) cusolverDnDestroy(solver_);
  if (blas_) cublasDestroy(blas_);
  if (copy_stream_) cudaStreamDestroy(copy_stream_);
  if (caller_done_) cudaEventDestroy(caller_done_);
  if (stream_ && owns_stream_) cudaStreamDestroy(stream_);
  if (current_device_pool().stream == stream_) current_device_pool() = DevicePool{};
}

}  // namespace detail
}  // namespace amf
