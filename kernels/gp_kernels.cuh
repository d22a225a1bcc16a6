#pragma once
// Launchers of the AMF-GP device kernels (kernels/gp_kernels.cu). Conventions: points are
// "point-major" (point p's coordinates [s..., c...] at X + p * dx); matrices handed to cuBLAS and
// cuSOLVER are column-major with an explicit leading dimension. Every launcher checks its launch.
#include <cuda_runtime.h>

#include <cstdint>

#include "criterion_tile.cuh"

namespace amf {
namespace kernels {

struct RbfParams {
  int state_dim, task_dim;
  double neg_half_inv_ls2_state, neg_half_inv_ls2_task, signal_variance;
};

// K(i, j) = k(A_i, B_j) for i < m, j < p; K column-major with leading dimension ldk.
void rbf_gram(const double* A, std::int64_t m, const double* B, std::int64_t p, const RbfParams& k, double* K,
              std::int64_t ldk, cudaStream_t stream);

// K(i, i) += value for i < n.
void add_diagonal(double* K, std::int64_t n, std::int64_t ldk, double value, cudaStream_t stream);

// Points (s_r, task_q) for every pool step r < n and task q < count, point q * n + r.
void relabel_pool(const double* pool_states, std::int64_t n, int ds, const double* tasks, std::int64_t count,
                  int dc, double* out, cudaStream_t stream);

// out[j] = sum_i U(i, j)^2 for j < cols (U column-major, rows x cols, leading dimension rows).
void column_squared_norms(const double* U, std::int64_t rows, std::int64_t cols, double* out, cudaStream_t stream);

// Importance-weight log-likelihood sums: for task q and trajectory i,
//   sums(q, i) = sum_{t in i} clip(log N(a_t; mean(q n + t), (sf2 - usq(q n + t) + noise) I)),
// mean column-major ((count n) x da, leading dimension count n). sums is row-major count x R.
void trajectory_loglik(const double* actions, std::int64_t n, int da, const double* mean, const double* usq,
                       double signal_variance, double noise, double clip_lo, double clip_hi,
                       const std::int64_t* offsets, std::int64_t R, std::int64_t count, double* sums,
                       cudaStream_t stream);

// Row-wise softmax of (sums(q, :) - own(:)) in place, log-sum-exp.
void softmax_rows(double* sums, const double* own, std::int64_t count, std::int64_t R, cudaStream_t stream);

// For P pairs of T points each (pair q's points at X + q T dx): G_q(a, b) = k(x_a, x_b) + noise
// [a == b] (T x T column-major, stride T^2) and C_q(a, z) = k(x_a, z) (T x M column-major,
// stride T M). M = 0 builds the G blocks only (C may be null).
void pair_grams(const double* X, std::int64_t P, int T, const double* Z, std::int64_t M, const RbfParams& k,
                double noise, double* G, double* C, cudaStream_t stream);

// The materialised path's criterion tile (criterion_tile.cuh), one block per pair: L L^T = G_q
// (shared memory, jitter escalation), then for every target z: v = max(prior_z - |L^-1 C_q[:, z]|^2,
// floor), J_q = sum_z omega_z log v, gain_q = sum_z omega_z log(prior_z / v) / 2. jitter_q receives
// the jitter used (-1: failed). T <= kMaxTile.
void criterion_tiles(const double* G, double* C, std::int64_t P, int T, std::int64_t M, const double* prior,
                     const double* omega, double floor, double* J, double* gain, double* jitter,
                     cudaStream_t stream);

// Blocks of criterion_tiles one SM holds at once (the occupancy calculator): its wave of pairs
// is this x the SM count.
int criterion_tile_blocks_per_sm();

}  // namespace kernels
}  // namespace amf
