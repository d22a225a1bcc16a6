#include "cuda/cuda_context.hpp"

namespace amf {
namespace detail {

CudaContext::CudaContext(int device) : device_(device) {
  int count = 0;
  AMF_CUDA_TRY(cudaGetDeviceCount(&count));
  if (device < 0 || device >= count)
    throw InvalidArgument("CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) +
                          " visible)");
  AMF_CUDA_TRY(cudaSetDevice(device));
  AMF_CUDA_TRY(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, device));
  AMF_CUDA_TRY(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  try {
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
    cudaStreamDestroy(stream_);
    throw;
  }
}

CudaContext::~CudaContext() {  // no-throw: destroy what exists, ignore status
  if (solver_) cusolverDnDestroy(solver_);
  if (blas_) cublasDestroy(blas_);
  if (copy_stream_) cudaStreamDestroy(copy_stream_);
  if (stream_) cudaStreamDestroy(stream_);
}

}  // namespace detail
}  // namespace amf
