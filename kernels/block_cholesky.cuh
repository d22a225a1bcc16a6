#pragma once
// Cholesky factorisations of a few small SPD matrices by a whole thread block, as a block program
// (block_program.cuh): the fused criterion kernel factors its pairs' T x T Grams this way, so
// that 256 threads share the T^3 / 3 flops instead of one thread per pair doing them all while
// the rest of the block waits.
//
// Right-looking, one column per step, two barriers per column: (1) scale the column below the
// pivot, (2) update the trailing triangle. The pivot's square root is written one step late
// (in the next step's phase 1), because every thread reads the unrooted pivot in phase 2 to
// decide whether the pair is still positive definite. A pair's failure is carried to the next
// column through a flag kept in two copies by column parity, so that the thread writing the next
// column's flag never races with the threads reading this column's. Jitter escalation is
// tile::cholesky_with_jitter's: 0, then 1e-10 times the mean diagonal, times 10 per retry.
//
// The factors are stored packed: row i of the lower triangle starts at i (i + 1) / 2, which
// halves the shared memory of full T x T tiles (16 KiB instead of 32 KiB per pair at T = 64).
#include <cstdint>

#include "block_program.cuh"

namespace amf {
namespace kernels {

constexpr int kMaxBlockCholeskyPairs = 4;
constexpr int kCholeskyRetries = 6;  // as tile::cholesky_with_jitter in the materialised path
// Shared doubles of the per-pair state: mean diagonal, jitter being tried, result, two flags.
constexpr int kCholeskyStateDoubles = 5 * kMaxBlockCholeskyPairs;

AMF_HD int packed_row(int i) { return i * (i + 1) / 2; }
AMF_HD int packed_lower_doubles(int n) { return packed_row(n); }

// Factors A_p + jitter_p I = L_p L_p^T for p < pairs (1 <= pairs <= kMaxBlockCholeskyPairs):
// A_p row-major n x n at A + p * a_stride (global memory, only the lower triangle read), L_p
// packed at L + p * packed_lower_doubles(n) (shared memory). Afterwards (behind a barrier)
// block_cholesky_jitter(state)[p] is the jitter that worked, -1 when none did. Requires
// th.count to be a multiple of 16. Every thread of the block must call it.
AMF_HD void block_cholesky_with_jitter(const double* A, std::int64_t a_stride, int n, int pairs, double* L,
                                       double* state, BlockThread th) {
  double* mean_diag = state;
  double* trying = mean_diag + kMaxBlockCholeskyPairs;
  double* result = trying + kMaxBlockCholeskyPairs;
  double* failed = result + kMaxBlockCholeskyPairs;  // two copies, by column parity
  const int packed = packed_lower_doubles(n);
  // Two-dimensional walks over a triangle: 16 columns per row group, th.count / 16 row groups.
  const int col_lane = th.index % 16, row_lane = th.index / 16, row_step = th.count / 16;
  if (th.index < pairs) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += A[th.index * a_stride + std::int64_t(i) * n + i];
    mean_diag[th.index] = sum / n;
    trying[th.index] = 0.0;
    result[th.index] = -1.0;
  }
  block_sync();
  for (int attempt = 0; attempt <= kCholeskyRetries; ++attempt) {
    bool any_pending = false;
    for (int p = 0; p < pairs; ++p) any_pending = any_pending || result[p] < 0;
    if (!any_pending) break;  // the same decision in every thread: result[] is only written below
    for (int p = 0; p < pairs; ++p) {
      if (!(result[p] < 0)) continue;
      const double* Ap = A + p * a_stride;
      double* Lp = L + p * packed;
      for (int i = row_lane; i < n; i += row_step)
        for (int k = col_lane; k <= i; k += 16)
          Lp[packed_row(i) + k] = Ap[std::int64_t(i) * n + k] + (i == k ? trying[p] : 0.0);
    }
    if (th.index < pairs) failed[th.index] = 0.0;
    block_sync();
    for (int j = 0; j < n; ++j) {
      const double* now_failed = failed + (j % 2) * kMaxBlockCholeskyPairs;
      double* next_failed = failed + ((j + 1) % 2) * kMaxBlockCholeskyPairs;
      // Phase 1: scale column j by the root of its pivot; root the previous column's pivot.
      for (int p = 0; p < pairs; ++p) {
        if (!(result[p] < 0) || now_failed[p] != 0.0) continue;
        double* Lp = L + p * packed;
        const double d = Lp[packed_row(j) + j];
        if (d > 0) {
          const double root = sqrt(d);
          for (int i = j + 1 + th.index; i < n; i += th.count) Lp[packed_row(i) + j] /= root;
        }
        if (j > 0 && th.index == 0) Lp[packed_row(j - 1) + j - 1] = sqrt(Lp[packed_row(j - 1) + j - 1]);
      }
      block_sync();
      // Phase 2: trailing update L(i, k) -= L(i, j) L(k, j) for j < k <= i; carry the failure flag.
      for (int p = 0; p < pairs; ++p) {
        if (!(result[p] < 0)) continue;
        double* Lp = L + p * packed;
        const double d = Lp[packed_row(j) + j];
        if (th.index == p) next_failed[p] = (now_failed[p] != 0.0 || !(d > 0)) ? 1.0 : 0.0;  // !(d > 0): NaN too
        if (now_failed[p] != 0.0 || !(d > 0)) continue;
        for (int i = j + 1 + row_lane; i < n; i += row_step) {
          const double lij = Lp[packed_row(i) + j];
          for (int k = j + 1 + col_lane; k <= i; k += 16) Lp[packed_row(i) + k] -= lij * Lp[packed_row(k) + j];
        }
      }
      block_sync();
    }
    // The attempt's outcome: root the last pivot, or escalate the jitter.
    if (th.index < pairs && result[th.index] < 0) {
      const int p = th.index;
      if (failed[(n % 2) * kMaxBlockCholeskyPairs + p] == 0.0) {
        double* last = L + p * packed + packed_row(n - 1) + n - 1;
        *last = sqrt(*last);
        result[p] = trying[p];
      } else {
        trying[p] = attempt == 0 ? 1e-10 * (mean_diag[p] > 0 ? mean_diag[p] : 1.0) : trying[p] * 10;
      }
    }
    block_sync();
  }
}

// The per-pair results of block_cholesky_with_jitter: jitter used, or -1 when every try failed.
AMF_HD const double* block_cholesky_jitter(const double* state) { return state + 2 * kMaxBlockCholeskyPairs; }

}  // namespace kernels
}  // namespace amf
