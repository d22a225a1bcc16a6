#pragma once
// The materialised path's per-pair tile as a block program (block_program.cuh): the device runs
// it in kernels/gp_kernels.cu (criterion_tiles), the CPU tests through the block emulator.
// Block q factors G_q (T x T, noise on its diagonal, jitter escalation) into shared memory, then
// each thread streams target columns of the materialised C_q (T x M, column-major, solved in
// place), accumulates omega_z log v and the gain, and a shared tree reduction finishes the pair.
#include <cstdint>

#include "block_program.cuh"

namespace amf {
namespace kernels {

constexpr int kTileThreads = 256;
constexpr int kMaxTile = 64;

// Shared doubles: the factor, the jitter, and the two reduction arrays.
constexpr int kTileSharedDoubles = kMaxTile * kMaxTile + 1 + 2 * kTileThreads;

struct CriterionTileArgs {
  const double* G = nullptr;  // P blocks of T x T
  double* C = nullptr;        // P blocks of T x M, solved in place
  int T = 0;
  std::int64_t M = 0;
  const double* prior = nullptr;
  const double* omega = nullptr;
  double floor = 0;
  double* J = nullptr;
  double* gain = nullptr;
  double* jitter = nullptr;
};

// Requires th.count == kTileThreads (a power of two) and 1 <= T <= kMaxTile.
AMF_HD void criterion_tile_block(const CriterionTileArgs& a, std::int64_t q, BlockThread th, double* shared) {
  const int T = a.T;
  double* L = shared;
  double* jitter_used = L + kMaxTile * kMaxTile;
  double* red_j = jitter_used + 1;
  double* red_g = red_j + kTileThreads;
  // G_q is read from global memory on each retry; it is column-major and symmetric, so the
  // row-major tile routines see the same matrix.
  if (th.index == 0) *jitter_used = tile::cholesky_with_jitter(a.G + q * T * T, L, T, T, 6);
  block_sync();
  double acc_j = 0, acc_g = 0;
  if (*jitter_used >= 0) {
    for (std::int64_t z = th.index; z < a.M; z += th.count) {
      double* col = a.C + q * T * a.M + z * T;
      tile::forward_substitute(L, T, T, col, 1);
      tile::add_log_variance_terms(a.prior[z], tile::squared_norm_strided(col, T, 1), a.floor, a.omega[z], &acc_j,
                                   &acc_g);
    }
  }
  red_j[th.index] = acc_j;
  red_g[th.index] = acc_g;
  block_sync();
  for (int s = th.count / 2; s > 0; s /= 2) {
    if (th.index < s) {
      red_j[th.index] += red_j[th.index + s];
      red_g[th.index] += red_g[th.index + s];
    }
    block_sync();
  }
  if (th.index == 0) {
    a.J[q] = red_j[0];
    a.gain[q] = red_g[0];
    a.jitter[q] = *jitter_used;
  }
}

}  // namespace kernels
}  // namespace amf
