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
// The cross-covariance GEMMs run as 8 x 8 x 4 warp MMAs (warp_mma.cuh): FP64 tensor cores on
// sm_80 and later, a portable version elsewhere and in the CPU emulator. Each of the 8 warps owns
// 16 rows x the 32 targets of the tile.
//
// Precision: float64 storage and arithmetic throughout. The FP64 tensor cores are IEEE float64
// fused multiply-adds (only the summation order differs from the CUDA cores); no TF32, bf16 or
// float32 anywhere: the criterion takes logs of conditional variances that cancel badly
// (DESIGN.md section 5).
#include <cstdint>

#include "block_program.cuh"
#include "warp_mma.cuh"

namespace amf {
namespace kernels {

constexpr int kFusedThreads = 256;  // 8 warps
constexpr int kFusedWarps = kFusedThreads / 32;
constexpr int kFusedMaxTile = 64;   // longest trajectory a block factors
constexpr int kFusedRows = 128;     // candidate rows (pairs x T) one block holds
constexpr int kTargetTile = 32;     // targets per streamed tile
constexpr int kDepthChunk = 32;     // feature columns per shared-memory stage
constexpr int kStageLd = kDepthChunk + 4;  // staging row stride: even (wmma) and 32-byte aligned rows
constexpr int kWarpRows = kFusedRows / kFusedWarps;  // each warp owns 16 rows x all 32 targets
constexpr int kRowFrags = kWarpRows / 8, kColFrags = kTargetTile / 8;
constexpr int kMaxStreamTerms = 24;
constexpr int kRowGroups = kFusedThreads / kTargetTile;  // pairs solved at once (one per 32 threads)
static_assert(kWarpRows % 8 == 0 && kTargetTile % 8 == 0, "warps tile the block in 8 x 8 fragments");
static_assert(kDepthChunk % 4 == 0 && kStageLd % 4 == 0, "k steps of 4; 32-byte aligned staging rows");

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

// Product: C += coef * first. LinearLayer: C += coef * first o (second + bias), the
// loss-gradient term of one Linear layer (first: back-propagated signals, second: layer inputs;
// tile::linear_layer_term). On a sequence of `tokens` tokens the factors' width is one token's
// and token u of a row starts u * width further: the term is summed over all token pairs (u of
// the candidate row, v of the target), each pair two more factor products.
enum class StreamTermKind : int { Product = 0, LinearLayer = 1 };

struct StreamTerm {
  StreamTermKind kind = StreamTermKind::Product;
  double coef = 1.0;
  StreamFactor first, second;
  int tokens = 1;
  double bias = 1.0;
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

// Args with the pairs' Grams, the targets' prior variances and weights, the log floor and the
// outputs set; the caller adds the cross-covariance terms (and the RBF term).
inline FusedCriterionArgs fused_args(const double* G, std::int64_t P, int T, std::int64_t M, const double* prior,
                                     const double* omega, double floor, double* J, double* gain, double* jitter) {
  FusedCriterionArgs a;
  a.G = G;
  a.P = P;
  a.T = T;
  a.M = M;
  a.prior = prior;
  a.omega = omega;
  a.floor = floor;
  a.J = J;
  a.gain = gain;
  a.jitter = jitter;
  return a;
}

// Pairs one block takes for trajectories of T steps: as many as fill kFusedRows rows, and at
// most one per row group, since each row group's threads solve one pair's columns.
AMF_HD int fused_pairs_per_block(int T) {
  const int fit = T >= kFusedRows ? 1 : kFusedRows / T;
  return fit < kRowGroups ? fit : kRowGroups;
}

// Shared memory of one block, in doubles: the two staging tiles (first, so the wmma fragments are
// 32-byte aligned; the cross-covariance tile reuses the A staging tile, which is idle between the
// GEMMs and the solves), the factors, the per-thread reduction and the per-pair jitters: 88 KiB at
// T = 50 and 113 KiB at T = 64, so two blocks fit on an H100/H200 SM.
AMF_HD std::int64_t fused_shared_doubles(int T) {
  const int pairs = fused_pairs_per_block(T);
  return std::int64_t(kFusedRows) * kStageLd + kTargetTile * kStageLd + std::int64_t(pairs) * T * T +
         2 * kFusedThreads + pairs;
}
static_assert(kTargetTile * kFusedRows <= kFusedRows * kStageLd, "the C tile fits in the A staging tile");

namespace fused_detail {

using WarpTile = warp_mma::Acc[kRowFrags][kColFrags];

// acc = this warp's 16 rows x 32 targets of the factor product for the tile at z0: staged through
// shared memory kDepthChunk columns at a time (zero-padded past the width, the block's rows and
// M), then 8 x 8 x 4 warp MMAs.
AMF_HD void tile_product(const StreamFactor& f, std::int64_t q0, int T, int rows, std::int64_t z0, std::int64_t M,
                         BlockThread th, double* As, double* Bs, WarpTile& acc) {
  const int warp = th.index / 32, lane = th.index % 32;
  for (int i = 0; i < kRowFrags; ++i)
    for (int j = 0; j < kColFrags; ++j) warp_mma::zero(acc[i][j]);
  for (int k0 = 0; k0 < f.width; k0 += kDepthChunk) {
    const int kc = f.width - k0 < kDepthChunk ? f.width - k0 : kDepthChunk;
    // Consecutive threads read consecutive columns of a row: coalesced.
    for (int e = th.index; e < kFusedRows * kDepthChunk; e += th.count) {
      const int r = e / kDepthChunk, k = e % kDepthChunk;
      const std::int64_t pair = q0 + r / T;
      As[r * kStageLd + k] =
          k < kc && r < rows ? f.candidates[pair * f.pair_stride + (r % T) * f.candidate_ld + k0 + k] : 0.0;
    }
    for (int e = th.index; e < kTargetTile * kDepthChunk; e += th.count) {
      const int zz = e / kDepthChunk, k = e % kDepthChunk;
      const std::int64_t z = z0 + zz;
      Bs[zz * kStageLd + k] = k < kc && z < M ? f.targets[z * f.target_ld + k0 + k] : 0.0;
    }
    block_sync();
    for (int k = 0; k < kc; k += 4) {
      warp_mma::FragB b[kColFrags];
      for (int j = 0; j < kColFrags; ++j) warp_mma::load_b(b[j], Bs + 8 * j * kStageLd + k, kStageLd, lane);
      for (int i = 0; i < kRowFrags; ++i) {
        warp_mma::FragA a;
        warp_mma::load_a(a, As + (warp * kWarpRows + 8 * i) * kStageLd + k, kStageLd, lane);
        for (int j = 0; j < kColFrags; ++j) warp_mma::mma(acc[i][j], a, b[j], lane);
      }
    }
    block_sync();
  }
}

// Factor f restricted to token u of the candidate rows and token v of the targets.
AMF_HD StreamFactor token_pair(StreamFactor f, int u, int v) {
  f.candidates += std::int64_t(u) * f.width;
  f.targets += std::int64_t(v) * f.width;
  return f;
}

}  // namespace fused_detail

// The block program: block `block` of the grid, pairs [block * pairs_per_block, ...).
// Requires th.count == kFusedThreads and 1 <= T <= kFusedMaxTile (the launcher checks both).
AMF_HD void fused_criterion_block(const FusedCriterionArgs& a, std::int64_t block, BlockThread th, double* shared) {
  const int T = a.T, per_block = fused_pairs_per_block(T);
  const std::int64_t q0 = block * per_block;
  const int pairs = a.P - q0 < per_block ? static_cast<int>(a.P - q0) : per_block;
  const int rows = pairs * T;
  const int warp = th.index / 32, lane = th.index % 32;
  double* As = shared;                             // kFusedRows x kStageLd
  double* Bs = As + kFusedRows * kStageLd;         // kTargetTile x kStageLd
  double* C = As;                                  // kTargetTile columns of kFusedRows, between GEMMs
  double* L = Bs + kTargetTile * kStageLd;         // pairs x T x T factors
  double* red = L + per_block * T * T;             // 2 kFusedThreads
  double* jit = red + 2 * kFusedThreads;           // per pair

  // One thread per pair factors it (T^3 / 3 flops, small next to the streaming below).
  if (th.index < pairs)
    jit[th.index] = tile::cholesky_with_jitter(a.G + (q0 + th.index) * T * T, L + th.index * T * T, T, T, 6);
  block_sync();

  // The solve phase: thread t solves column t % kTargetTile of pair t / kTargetTile and keeps
  // that pair's sums across tiles.
  const int my_pair = th.index / kTargetTile, my_col = th.index % kTargetTile;
  const bool solves = my_pair < pairs && jit[my_pair] >= 0.0;
  double acc_j = 0.0, acc_g = 0.0;
  fused_detail::WarpTile c, s, h;
  for (std::int64_t z0 = 0; z0 < a.M; z0 += kTargetTile) {
    for (int i = 0; i < kRowFrags; ++i)
      for (int j = 0; j < kColFrags; ++j) warp_mma::zero(c[i][j]);
    for (int t = 0; t < a.num_terms; ++t) {
      const StreamTerm& term = a.terms[t];
      if (term.kind == StreamTermKind::Product) {
        fused_detail::tile_product(term.first, q0, T, rows, z0, a.M, th, As, Bs, s);
        for (int i = 0; i < kRowFrags; ++i)
          for (int j = 0; j < kColFrags; ++j)
            for (int e = 0; e < c[i][j].size(); ++e) c[i][j][e] += term.coef * s[i][j][e];
        continue;
      }
      for (int u = 0; u < term.tokens; ++u)
        for (int v = 0; v < term.tokens; ++v) {
          fused_detail::tile_product(fused_detail::token_pair(term.first, u, v), q0, T, rows, z0, a.M, th, As, Bs, s);
          fused_detail::tile_product(fused_detail::token_pair(term.second, u, v), q0, T, rows, z0, a.M, th, As, Bs, h);
          for (int i = 0; i < kRowFrags; ++i)
            for (int j = 0; j < kColFrags; ++j)
              for (int e = 0; e < c[i][j].size(); ++e)
                c[i][j][e] += term.coef * tile::linear_layer_term(s[i][j][e], h[i][j][e], term.bias);
        }
    }
    for (int i = 0; i < kRowFrags; ++i)
      for (int j = 0; j < kColFrags; ++j)
        warp_mma::store_col_major(C + 8 * j * kFusedRows + warp * kWarpRows + 8 * i, c[i][j], kFusedRows, lane);
    block_sync();
    if (a.rbf.present) {  // evaluated in place, element by element
      const StreamRbf& k = a.rbf;
      const int dim = k.state_dim + k.task_dim;
      for (int e = th.index; e < kTargetTile * rows; e += th.count) {
        const int zz = e / rows, r = e % rows;
        const std::int64_t z = z0 + zz;
        if (z < a.M)
          C[zz * kFusedRows + r] += tile::rbf_state_task(k.points + (q0 * T + r) * dim, k.targets + z * dim, k.state_dim,
                                                         k.task_dim, k.neg_half_inv_ls2_state, k.neg_half_inv_ls2_task,
                                                         k.signal_variance);
      }
      block_sync();
    }
    const std::int64_t zs = z0 + my_col;
    if (solves && zs < a.M) {
      double* v = C + my_col * kFusedRows + my_pair * T;
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
