#pragma once
// The fused streaming criterion kernel as a block program (block_program.cuh): the device runs
// it (kernels/fused_criterion.cu), the CPU tests run the same code through the block emulator.
//
// One block takes up to fused_pairs_per_block(T) (candidate, pool trajectory) pairs of T <= kFusedMaxTile
// steps each. It factors each pair's posterior Gram G_q (T x T, noise on its diagonal) in shared
// memory, then streams the targets in tiles of kTargetTile: the tile's cross-covariance
// C(x_a, z) is produced in shared memory from the inputs (an RBF kernel evaluated in place and
// any number of factor products, each a small GEMM over the feature width), then every column is
// solved against the pair's factor, and omega_z log v(z | X) and the information gain are
// accumulated. The pairs x T x M cross-covariance never reaches global memory.
//
// Precision: float64 storage and arithmetic throughout, no tensor cores: the criterion takes
// logs of conditional variances that cancel badly (DESIGN.md section 5).
#include <cstdint>

#include "block_program.cuh"

namespace amf {
namespace kernels {

constexpr int kFusedThreads = 256;
constexpr int kFusedMaxTile = 64;   // longest trajectory a block factors
constexpr int kFusedRows = 128;     // candidate rows (pairs x T) one block holds
constexpr int kTargetTile = 32;     // targets per streamed tile
constexpr int kDepthChunk = 32;     // feature columns per shared-memory stage
constexpr int kRowGroups = kFusedThreads / kTargetTile;
constexpr int kRowsPerThread = kFusedRows / kRowGroups;
constexpr int kMaxStreamTerms = 24;
static_assert(kFusedThreads == kTargetTile * kRowGroups, "every thread owns one target column of the tile");
static_assert(kFusedRows % kRowGroups == 0, "rows split evenly over the row groups");

// One factor product: C(a, z) += <candidate row a of the pair, target row z> over `width`
// columns. Candidate row r of pair q at candidates + q * pair_stride + r * candidate_ld; target z
// at targets + z * target_ld (row-major, as the gathered features and U blocks are stored).
struct StreamFactor {
  const double* candidates = nullptr;
  std::int64_t pair_stride = 0, candidate_ld = 0;
  const double* targets = nullptr;
  std::int64_t target_ld = 0;
  int width = 0;
};

// Product: C += coef * first. LinearLayer: C += coef * first o (second + 1), the loss-gradient
// term of one Linear layer (first: back-propagated signals, second: layer inputs;
// tile::linear_layer_term).
enum class StreamTermKind : int { Product = 0, LinearLayer = 1 };

struct StreamTerm {
  StreamTermKind kind = StreamTermKind::Product;
  double coef = 1.0;
  StreamFactor first, second;
};

// C += k_rbf(x_a, z) with x_a = points + (q T + a) * dim, z = targets + z * dim.
struct StreamRbf {
  bool present = false;
  const double* points = nullptr;
  const double* targets = nullptr;
  int state_dim = 0, task_dim = 0;
  double neg_half_inv_ls2_state = 0, neg_half_inv_ls2_task = 0, signal_variance = 0;
};

struct FusedCriterionArgs {
  const double* G = nullptr;  // P blocks of T x T (symmetric), block q at G + q T^2
  std::int64_t P = 0;
  int T = 0;
  std::int64_t M = 0;
  StreamRbf rbf;
  int num_terms = 0;
  StreamTerm terms[kMaxStreamTerms];
  const double* prior = nullptr;  // M: k_D(z, z)
  const double* omega = nullptr;  // M: target weights
  double floor = 0;
  double* J = nullptr;       // P: sum_z omega_z log v(z | X_q)
  double* gain = nullptr;    // P: sum_z omega_z log(prior_z / v) / 2
  double* jitter = nullptr;  // P: jitter the factor needed, -1 when none worked
};

// Pairs one block takes for trajectories of T steps: as many as fill kFusedRows rows, and at
// most one per row group, since each row group's threads solve one pair's columns.
AMF_HD int fused_pairs_per_block(int T) {
  const int fit = T >= kFusedRows ? 1 : kFusedRows / T;
  return fit < kRowGroups ? fit : kRowGroups;
}

// Shared memory of one block, in doubles: factors, the cross-covariance tile, the two staging
// tiles, the per-thread reduction and the per-pair jitters.
AMF_HD std::int64_t fused_shared_doubles(int T) {
  const int pairs = fused_pairs_per_block(T);
  return std::int64_t(pairs) * T * T + std::int64_t(kTargetTile) * kFusedRows + kFusedRows * (kDepthChunk + 1) +
         kTargetTile * (kDepthChunk + 1) + 2 * kFusedThreads + pairs;
}

namespace fused_detail {

// acc[j] (rows group + j kRowGroups of the block's `rows`, target column `col` of the tile at z0)
// = the factor product; staged through shared memory in chunks of kDepthChunk columns.
AMF_HD void tile_product(const StreamFactor& f, std::int64_t q0, int T, int rows, std::int64_t z0, std::int64_t M,
                         BlockThread th, double* As, double* Bs, double* acc) {
  constexpr int ld = kDepthChunk + 1;  // padding against shared-memory bank conflicts
  const int col = th.index % kTargetTile, group = th.index / kTargetTile;
  for (int j = 0; j < kRowsPerThread; ++j) acc[j] = 0.0;
  for (int k0 = 0; k0 < f.width; k0 += kDepthChunk) {
    const int kc = f.width - k0 < kDepthChunk ? f.width - k0 : kDepthChunk;
    // Consecutive threads read consecutive columns of a row: coalesced.
    for (int e = th.index; e < rows * kDepthChunk; e += th.count) {
      const int r = e / kDepthChunk, k = e % kDepthChunk;
      const std::int64_t pair = q0 + r / T;
      As[r * ld + k] = k < kc ? f.candidates[pair * f.pair_stride + (r % T) * f.candidate_ld + k0 + k] : 0.0;
    }
    for (int e = th.index; e < kTargetTile * kDepthChunk; e += th.count) {
      const int zz = e / kDepthChunk, k = e % kDepthChunk;
      const std::int64_t z = z0 + zz;
      Bs[zz * ld + k] = k < kc && z < M ? f.targets[z * f.target_ld + k0 + k] : 0.0;
    }
    block_sync();
    for (int k = 0; k < kc; ++k) {
      const double b = Bs[col * ld + k];
      for (int j = 0; j < kRowsPerThread; ++j) {
        const int r = group + j * kRowGroups;
        if (r < rows) acc[j] += As[r * ld + k] * b;
      }
    }
    block_sync();
  }
}

}  // namespace fused_detail

// The block program: block `block` of the grid, pairs [block * pairs_per_block, ...).
// Requires th.count == kFusedThreads and 1 <= T <= kFusedMaxTile (the launcher checks both).
AMF_HD void fused_criterion_block(const FusedCriterionArgs& a, std::int64_t block, BlockThread th, double* shared) {
  const int T = a.T, per_block = fused_pairs_per_block(T);
  const std::int64_t q0 = block * per_block;
  const int pairs = a.P - q0 < per_block ? static_cast<int>(a.P - q0) : per_block;
  const int rows = pairs * T;
  double* L = shared;                                   // pairs x T x T factors
  double* C = L + per_block * T * T;                    // kTargetTile columns of kFusedRows
  double* As = C + kTargetTile * kFusedRows;            // kFusedRows x (kDepthChunk + 1)
  double* Bs = As + kFusedRows * (kDepthChunk + 1);     // kTargetTile x (kDepthChunk + 1)
  double* red = Bs + kTargetTile * (kDepthChunk + 1);   // 2 kFusedThreads
  double* jit = red + 2 * kFusedThreads;                // per pair

  // One thread per pair factors it (T^3 / 3 flops, small next to the streaming below).
  if (th.index < pairs) jit[th.index] = tile::cholesky_with_jitter(a.G + (q0 + th.index) * T * T, L + th.index * T * T, T, T, 6);
  block_sync();

  const int col = th.index % kTargetTile, group = th.index / kTargetTile;
  // The solve phase: thread t solves column t % kTargetTile of pair t / kTargetTile and keeps
  // that pair's sums across tiles.
  const int my_pair = th.index / kTargetTile;
  const bool solves = my_pair < pairs && jit[my_pair] >= 0.0;
  double acc_j = 0.0, acc_g = 0.0;
  double c[kRowsPerThread], s[kRowsPerThread], h[kRowsPerThread];
  for (std::int64_t z0 = 0; z0 < a.M; z0 += kTargetTile) {
    for (int j = 0; j < kRowsPerThread; ++j) c[j] = 0.0;
    for (int t = 0; t < a.num_terms; ++t) {
      const StreamTerm& term = a.terms[t];
      fused_detail::tile_product(term.first, q0, T, rows, z0, a.M, th, As, Bs, s);
      if (term.kind == StreamTermKind::LinearLayer) {
        fused_detail::tile_product(term.second, q0, T, rows, z0, a.M, th, As, Bs, h);
        for (int j = 0; j < kRowsPerThread; ++j) c[j] += term.coef * tile::linear_layer_term(s[j], h[j]);
      } else {
        for (int j = 0; j < kRowsPerThread; ++j) c[j] += term.coef * s[j];
      }
    }
    const std::int64_t z = z0 + col;
    if (a.rbf.present && z < a.M) {
      const StreamRbf& k = a.rbf;
      const int dim = k.state_dim + k.task_dim;
      for (int j = 0; j < kRowsPerThread; ++j) {
        const int r = group + j * kRowGroups;
        if (r < rows)
          c[j] += tile::rbf_state_task(k.points + (q0 * T + r) * dim, k.targets + z * dim, k.state_dim, k.task_dim,
                                       k.neg_half_inv_ls2_state, k.neg_half_inv_ls2_task, k.signal_variance);
      }
    }
    for (int j = 0; j < kRowsPerThread; ++j) {
      const int r = group + j * kRowGroups;
      if (r < rows) C[col * kFusedRows + r] = c[j];
    }
    block_sync();
    const std::int64_t zs = z0 + th.index % kTargetTile;
    if (solves && zs < a.M) {
      double* v = C + (th.index % kTargetTile) * kFusedRows + my_pair * T;
      tile::forward_substitute(L + my_pair * T * T, T, T, v, 1);
      tile::add_log_variance_terms(a.prior[zs], tile::squared_norm_strided(v, T, 1), a.floor, a.omega[zs], &acc_j,
                                   &acc_g);
    }
    block_sync();
  }
  red[th.index] = acc_j;
  red[kFusedThreads + th.index] = acc_g;
  block_sync();
  if (th.index < pairs) {  // fixed summation order: results do not depend on scheduling
    double j = 0.0, g = 0.0;
    for (int t = 0; t < kTargetTile; ++t) {
      j += red[th.index * kTargetTile + t];
      g += red[kFusedThreads + th.index * kTargetTile + t];
    }
    a.J[q0 + th.index] = j;
    a.gain[q0 + th.index] = g;
    a.jitter[q0 + th.index] = jit[th.index];
  }
}

}  // namespace kernels
}  // namespace amf
