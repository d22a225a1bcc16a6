#pragma once
// Forward substitution of a shared-memory tile of right-hand sides by a whole thread block, as a
// block program (block_program.cuh): the fused criterion kernel solves L_p v = c(x_p, z) for
// every (pair p, target column z) of its tile this way.
//
// One thread per column would leave most of the block idle (one pair at T = 50 has 64 columns
// for 256 threads) and run a T^2 / 2 dependent chain. Instead the rows go in panels of
// kSolvePanel: the threads owning a column solve the panel's diagonal block (a short chain), then
// after a barrier all threads subtract the panel from the rows below it, one (row, column) each.
// Row i still subtracts L(i, k) v_k for k = 0, 1, ... in order, the same sum as
// tile::forward_substitute, so the result is the materialised path's to the last bit (up to
// contraction into fused multiply-adds).
//
// The tile is row-major (candidate row r, target column z at C[r ldc + z]): the threads of a warp
// read 32 consecutive columns of one row (no bank conflicts) and the same L(i, k) (a broadcast).
#include "block_cholesky.cuh"
#include "block_program.cuh"

namespace amf {
namespace kernels {

constexpr int kSolvePanel = 8;

// Solves L_p v = c in place for the columns z < cols_valid of every pair p < pairs whose
// jitter[p] >= 0: pair p's right-hand sides are rows p n .. p n + n - 1 of C, L_p is packed at
// L + p * packed_lower_doubles(n). Thread t owns column t % Cols of pair t / Cols and gets back
// that column's |v|^2 (0 for threads that own none). Requires pairs * Cols <= th.count and
// th.count a multiple of Cols. Every thread of the block must call it; it ends with a barrier.
template <int Cols>
AMF_HD double block_forward_solve(double* C, int ldc, const double* L, int n, int pairs, const double* jitter,
                                  int cols_valid, BlockThread th) {
  const int packed = packed_lower_doubles(n);
  const int col = th.index % Cols, slot = th.index / Cols, slots = th.count / Cols;
  const bool owns = slot < pairs && col < cols_valid && jitter[slot] >= 0;
  double norm = 0;
  for (int p0 = 0; p0 < n; p0 += kSolvePanel) {
    const int pe = p0 + kSolvePanel < n ? p0 + kSolvePanel : n;
    if (owns) {  // the panel's diagonal block, for the owned column
      double* v = C + std::int64_t(slot) * n * ldc + col;
      const double* Lp = L + slot * packed;
      for (int i = p0; i < pe; ++i) {
        const double* Li = Lp + packed_row(i);
        double x = v[i * ldc];
        for (int k = p0; k < i; ++k) x -= Li[k] * v[k * ldc];
        x /= Li[i];
        v[i * ldc] = x;
        norm += x * x;
      }
    }
    block_sync();
    if (pe == n) break;
    if (col < cols_valid) {  // the rows below the panel: row i = pe + slot, pe + slot + slots, ...
      for (int p = 0; p < pairs; ++p) {
        if (!(jitter[p] >= 0)) continue;
        double* v = C + std::int64_t(p) * n * ldc + col;
        const double* Lp = L + p * packed;
        for (int i = pe + slot; i < n; i += slots) {
          const double* Li = Lp + packed_row(i);
          double x = v[i * ldc];
          for (int k = p0; k < pe; ++k) x -= Li[k] * v[k * ldc];
          v[i * ldc] = x;
        }
      }
    }
    block_sync();
  }
  return norm;
}

}  // namespace kernels
}  // namespace amf
