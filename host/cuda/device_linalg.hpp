#pragma once
// Small device helpers both CUDA criteria use: copies to and from the device on the context's
// stream, a checked cuSOLVER Cholesky and a cuBLAS lower triangular solve. Column-major.
#include <algorithm>
#include <string>
#include <vector>

#include "amf/error.hpp"
#include "cuda/cuda_context.hpp"

namespace amf {
namespace detail {

template <typename T>
void upload(DeviceBuffer<T>& dst, const T* src, std::size_t count, cudaStream_t s) {
  if (count) AMF_CUDA_TRY(cudaMemcpyAsync(dst.get(), src, count * sizeof(T), cudaMemcpyHostToDevice, s));
}

template <typename T>
std::vector<T> download(const T* src, std::size_t count, cudaStream_t s) {
  std::vector<T> out(count);
  if (count) AMF_CUDA_TRY(cudaMemcpyAsync(out.data(), src, count * sizeof(T), cudaMemcpyDeviceToHost, s));
  AMF_CUDA_TRY(cudaStreamSynchronize(s));
  return out;
}

// Lower Cholesky in place (leading dimension ld); amf::NumericalError naming `what` on failure.
inline void potrf(const CudaContext& ctx, double* A, int n, int ld, const char* what) {
  int lwork = 0;
  AMF_CUSOLVER_TRY(cusolverDnDpotrf_bufferSize(ctx.solver(), CUBLAS_FILL_MODE_LOWER, n, A, ld, &lwork));
  DeviceBuffer<double> work(std::max(lwork, 1));
  DeviceBuffer<int> info(1);
  AMF_CUSOLVER_TRY(cusolverDnDpotrf(ctx.solver(), CUBLAS_FILL_MODE_LOWER, n, A, ld, work.get(), lwork, info.get()));
  const int status = download(info.get(), 1, ctx.stream())[0];
  if (status != 0)
    throw NumericalError(std::string("CUDA backend: Cholesky of ") + what + " failed (cuSOLVER info " +
                         std::to_string(status) + "); check for NaN or a zero noise variance");
}

// B <- L^-1 B, L lower (n x n, leading dimension ldl), B n x cols (leading dimension n).
inline void lower_solve(const CudaContext& ctx, const double* L, int n, int ldl, double* B, std::int64_t cols) {
  const double one = 1.0;
  AMF_CUBLAS_TRY(cublasDtrsm(ctx.blas(), CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, CUBLAS_DIAG_NON_UNIT, n,
                             static_cast<int>(cols), &one, L, ldl, B, n));
}

}  // namespace detail
}  // namespace amf
