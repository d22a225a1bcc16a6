// AMF-NN device kernels: the element-wise epilogues of the factorised loss-gradient Gram, and
// the masks between feature groups.
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

__global__ void between_groups_kernel(double* A, std::int64_t rows, std::int64_t cols, std::int64_t lda,
                                      const std::int64_t* row_groups, const std::int64_t* col_groups,
                                      std::int64_t col_repeat) {
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < rows * cols;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t i = e % rows, j = e / rows;
    if (row_groups[i] != col_groups[j / col_repeat]) A[i + j * lda] = 0.0;
  }
}

__global__ void pair_blocks_kernel(double* C, std::int64_t P, int T, std::int64_t M, const std::int64_t* pair_groups,
                                   const std::int64_t* target_groups) {
  const std::int64_t block = std::int64_t(T) * M;
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < P * block;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t q = e / block, z = (e % block) / T;
    if (pair_groups[q] != target_groups[z]) C[e] = 0.0;
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

void mask_between_groups(double* A, std::int64_t rows, std::int64_t cols, std::int64_t lda,
                         const std::int64_t* row_groups, const std::int64_t* col_groups, std::int64_t col_repeat,
                         cudaStream_t stream) {
  if (rows * cols == 0) return;
  between_groups_kernel<<<blocks_for(rows * cols), kThreads, 0, stream>>>(A, rows, cols, lda, row_groups, col_groups,
                                                                          col_repeat);
  AMF_CUDA_TRY(cudaGetLastError());
}

void mask_pair_blocks(double* C, std::int64_t P, int T, std::int64_t M, const std::int64_t* pair_groups,
                      const std::int64_t* target_groups, cudaStream_t stream) {
  if (P * T * M == 0) return;
  pair_blocks_kernel<<<blocks_for(P * T * M), kThreads, 0, stream>>>(C, P, T, M, pair_groups, target_groups);
  AMF_CUDA_TRY(cudaGetLastError());
}

}  // namespace kernels
}  // namespace amf
