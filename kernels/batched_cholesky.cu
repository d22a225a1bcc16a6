// Batched tile: one block per problem. The T x T factor lives in shared memory; one thread
// factors it (T <= 64 keeps this cheap next to the M solves), then the block's threads each
// take columns of B, solve in place and reduce the squared norm.
#include <cmath>

#include "testing/batched_tile.hpp"
#include "cuda/cuda_check.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

constexpr int kMaxTile = 64;
constexpr int kThreads = 128;

__global__ void tile_squared_norms_kernel(const double* __restrict__ A, double* __restrict__ B,
                                          int T, int M, double* __restrict__ out) {
  __shared__ double L[kMaxTile * kMaxTile];
  __shared__ bool ok;
  const int b = blockIdx.x;
  const double* Ab = A + static_cast<size_t>(b) * T * T;
  for (int e = threadIdx.x; e < T * T; e += blockDim.x) L[e] = Ab[e];
  __syncthreads();
  if (threadIdx.x == 0) ok = tile::cholesky_lower(L, T, T);
  __syncthreads();
  double* Bb = B + static_cast<size_t>(b) * T * M;
  for (int z = threadIdx.x; z < M; z += blockDim.x) {
    double result = nan("");
    if (ok) {
      tile::forward_substitute(L, T, T, Bb + z, M);
      result = tile::squared_norm_strided(Bb + z, T, M);
    }
    out[static_cast<size_t>(b) * M + z] = result;
  }
}

}  // namespace

std::vector<double> device_tile_squared_norms(const std::vector<double>& A,
                                              const std::vector<double>& B, int batch, int T, int M) {
  if (T < 1 || T > kMaxTile)
    throw Error("device_tile_squared_norms: T = " + std::to_string(T) + " (supported: 1..64)");
  if (A.size() != static_cast<size_t>(batch) * T * T || B.size() != static_cast<size_t>(batch) * T * M)
    throw InvalidArgument("device_tile_squared_norms: A must be batch x T x T and B batch x T x M");
  std::vector<double> out(static_cast<size_t>(batch) * M);
  if (batch == 0 || M == 0) return out;
  DeviceBuffer<double> dA(A.size()), dB(B.size()), dOut(out.size());
  AMF_CUDA_TRY(cudaMemcpy(dA.get(), A.data(), A.size() * sizeof(double), cudaMemcpyHostToDevice));
  AMF_CUDA_TRY(cudaMemcpy(dB.get(), B.data(), B.size() * sizeof(double), cudaMemcpyHostToDevice));
  tile_squared_norms_kernel<<<batch, kThreads>>>(dA.get(), dB.get(), T, M, dOut.get());
  AMF_CUDA_TRY(cudaGetLastError());
  AMF_CUDA_TRY(cudaMemcpy(out.data(), dOut.get(), out.size() * sizeof(double), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace detail
}  // namespace amf
