// AMF-GP device kernels. Precision: float64 storage and arithmetic throughout (the log of a
// conditional variance cancels badly; no TF32/bf16). The per-tile math is tile_math.cuh, the
// same code the CPU backend runs.
#include <algorithm>
#include <string>

#include "cuda/cuda_check.hpp"
#include "criterion_tile.cuh"
#include "gp_kernels.cuh"
#include "tile_math.cuh"

namespace amf {
namespace kernels {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(std::int64_t work) { return static_cast<unsigned>((work + kThreads - 1) / kThreads); }

__device__ double rbf(const double* x, const double* y, const RbfParams& k) {
  return tile::rbf_state_task(x, y, k.state_dim, k.task_dim, k.neg_half_inv_ls2_state, k.neg_half_inv_ls2_task,
                              k.signal_variance);
}

__global__ void rbf_gram_kernel(const double* A, std::int64_t m, const double* B, std::int64_t p, RbfParams k,
                                double* K, std::int64_t ldk) {
  const int dx = k.state_dim + k.task_dim;
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < m * p;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t i = e % m, j = e / m;  // consecutive threads walk down a column: coalesced writes
    K[i + j * ldk] = rbf(A + i * dx, B + j * dx, k);
  }
}

__global__ void add_diagonal_kernel(double* K, std::int64_t n, std::int64_t ldk, double value) {
  const std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (i < n) K[i + i * ldk] += value;
}

__global__ void relabel_kernel(const double* S, std::int64_t n, int ds, const double* tasks, std::int64_t count,
                               int dc, double* out) {
  const std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (e >= n * count) return;
  const std::int64_t q = e / n, r = e % n;
  double* o = out + e * (ds + dc);
  for (int d = 0; d < ds; ++d) o[d] = S[r * ds + d];
  for (int d = 0; d < dc; ++d) o[ds + d] = tasks[q * dc + d];
}

// One warp per column: lanes stride down the column (coalesced), then a shuffle reduction.
__global__ void column_squared_norms_kernel(const double* U, std::int64_t rows, std::int64_t cols, double* out) {
  const std::int64_t col = (blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (col >= cols) return;
  double acc = 0;
  for (std::int64_t r = lane; r < rows; r += 32) {
    const double u = U[r + col * rows];
    acc += u * u;
  }
  for (int o = 16; o > 0; o /= 2) acc += __shfl_down_sync(0xffffffffu, acc, o);
  if (lane == 0) out[col] = acc;
}

// One thread per (task q, trajectory i): a deterministic sum over the trajectory's steps.
__global__ void trajectory_loglik_kernel(const double* actions, std::int64_t n, int da, const double* mean,
                                         const double* usq, double sf2, double noise, double lo, double hi,
                                         const std::int64_t* offsets, std::int64_t R, std::int64_t count,
                                         double* sums) {
  const std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (e >= count * R) return;
  const std::int64_t q = e / R, i = e % R;
  sums[q * R + i] = tile::trajectory_loglik_sum(actions, da, mean, count * n, usq, sf2, noise, lo, hi, offsets[i],
                                                offsets[i + 1], q * n);
}

__global__ void softmax_rows_kernel(double* sums, const double* own, std::int64_t count, std::int64_t R) {
  const std::int64_t q = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (q < count) tile::softmax_of_differences(sums + q * R, own, R);
}

__global__ void pair_grams_kernel(const double* X, std::int64_t P, int T, const double* Z, std::int64_t M,
                                  RbfParams k, double noise, double* G, double* C) {
  const int dx = k.state_dim + k.task_dim;
  const std::int64_t q = blockIdx.y;
  const double* Xq = X + q * T * dx;
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < std::int64_t(T) * (T + M);
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const int a = static_cast<int>(e % T);
    const std::int64_t col = e / T;
    if (col < T)
      G[q * T * T + a + col * T] = rbf(Xq + a * dx, Xq + col * dx, k) + (a == col ? noise : 0.0);
    else
      C[q * T * M + a + (col - T) * T] = rbf(Xq + a * dx, Z + (col - T) * dx, k);
  }
}

__global__ void __launch_bounds__(kTileThreads) criterion_tiles_kernel(const CriterionTileArgs args) {
  __shared__ double shared[kTileSharedDoubles];  // 36 KiB: within the 48 KiB of static shared memory
  criterion_tile_block(args, blockIdx.x, BlockThread{static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x)},
                       shared);
}

}  // namespace

void rbf_gram(const double* A, std::int64_t m, const double* B, std::int64_t p, const RbfParams& k, double* K,
              std::int64_t ldk, cudaStream_t stream) {
  if (m * p == 0) return;
  rbf_gram_kernel<<<std::min<unsigned>(blocks_for(m * p), 65535u), kThreads, 0, stream>>>(A, m, B, p, k, K, ldk);
  AMF_CUDA_TRY(cudaGetLastError());
}

void add_diagonal(double* K, std::int64_t n, std::int64_t ldk, double value, cudaStream_t stream) {
  if (n == 0) return;
  add_diagonal_kernel<<<blocks_for(n), kThreads, 0, stream>>>(K, n, ldk, value);
  AMF_CUDA_TRY(cudaGetLastError());
}

void relabel_pool(const double* S, std::int64_t n, int ds, const double* tasks, std::int64_t count, int dc,
                  double* out, cudaStream_t stream) {
  if (n * count == 0) return;
  relabel_kernel<<<blocks_for(n * count), kThreads, 0, stream>>>(S, n, ds, tasks, count, dc, out);
  AMF_CUDA_TRY(cudaGetLastError());
}

void column_squared_norms(const double* U, std::int64_t rows, std::int64_t cols, double* out, cudaStream_t stream) {
  if (cols == 0) return;
  column_squared_norms_kernel<<<blocks_for(cols * 32), kThreads, 0, stream>>>(U, rows, cols, out);
  AMF_CUDA_TRY(cudaGetLastError());
}

void trajectory_loglik(const double* actions, std::int64_t n, int da, const double* mean, const double* usq,
                       double sf2, double noise, double lo, double hi, const std::int64_t* offsets, std::int64_t R,
                       std::int64_t count, double* sums, cudaStream_t stream) {
  if (count * R == 0) return;
  trajectory_loglik_kernel<<<blocks_for(count * R), kThreads, 0, stream>>>(actions, n, da, mean, usq, sf2, noise, lo,
                                                                           hi, offsets, R, count, sums);
  AMF_CUDA_TRY(cudaGetLastError());
}

void softmax_rows(double* sums, const double* own, std::int64_t count, std::int64_t R, cudaStream_t stream) {
  if (count == 0) return;
  softmax_rows_kernel<<<blocks_for(count), kThreads, 0, stream>>>(sums, own, count, R);
  AMF_CUDA_TRY(cudaGetLastError());
}

void pair_grams(const double* X, std::int64_t P, int T, const double* Z, std::int64_t M, const RbfParams& k,
                double noise, double* G, double* C, cudaStream_t stream) {
  if (P == 0) return;
  const dim3 grid(std::min<unsigned>(blocks_for(std::int64_t(T) * (T + M)), 1024u), static_cast<unsigned>(P));
  pair_grams_kernel<<<grid, kThreads, 0, stream>>>(X, P, T, Z, M, k, noise, G, C);
  AMF_CUDA_TRY(cudaGetLastError());
}

void criterion_tiles(const double* G, double* C, std::int64_t P, int T, std::int64_t M, const double* prior,
                     const double* omega, double floor, double* J, double* gain, double* jitter,
                     cudaStream_t stream) {
  if (T < 1 || T > kMaxTile)
    throw Error("criterion_tiles: T = " + std::to_string(T) + " (the tile kernel covers 1.." +
                std::to_string(kMaxTile) + ")");
  if (P == 0) return;
  const CriterionTileArgs args{G, C, T, M, prior, omega, floor, J, gain, jitter};
  criterion_tiles_kernel<<<static_cast<unsigned>(P), kTileThreads, 0, stream>>>(args);
  AMF_CUDA_TRY(cudaGetLastError());
}

int criterion_tile_blocks_per_sm() {
  int blocks = 0;
  AMF_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, criterion_tiles_kernel, kTileThreads, 0));
  return blocks;
}

}  // namespace kernels
}  // namespace amf
