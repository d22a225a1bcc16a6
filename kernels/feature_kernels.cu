// AMF-NN device kernels: the element-wise epilogues of the factorised loss-gradient Gram.
// Precision: float64 (the criterion takes logs of conditional variances, which cancel badly).
#include "cuda/cuda_check.hpp"
#include "feature_kernels.cuh"
#include "tile_math.cuh"

namespace amf {
namespace kernels {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(std::int64_t work) {
  const std::int64_t blocks = (work + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 ? blocks : 65535);  // grid-stride loops cover the rest
}

__global__ void linear_layer_kernel(double* K, const double* S, const double* H, std::int64_t count, double bias) {
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < count;
       e += std::int64_t(gridDim.x) * blockDim.x)
    K[e] += tile::linear_layer_term(S[e], H[e], bias);
}

__global__ void block_diagonal_kernel(double* G, std::int64_t P, int T, double value) {
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < P * T;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t q = e / T, i = e % T;
    G[q * T * T + i * (T + 1)] += value;
  }
}

}  // namespace

void linear_layer_accumulate(double* K, const double* S, const double* H, std::int64_t count, double bias,
                             cudaStream_t stream) {
  if (count == 0) return;
  linear_layer_kernel<<<blocks_for(count), kThreads, 0, stream>>>(K, S, H, count, bias);
  AMF_CUDA_TRY(cudaGetLastError());
}

void add_block_diagonals(double* G, std::int64_t P, int T, double value, cudaStream_t stream) {
  if (P * T == 0) return;
  block_diagonal_kernel<<<blocks_for(P * T), kThreads, 0, stream>>>(G, P, T, value);
  AMF_CUDA_TRY(cudaGetLastError());
}

}  // namespace kernels
}  // namespace amf
