#pragma once
// The fused streaming criterion kernel as a block program (block_program.cuh): the device runs
// it (kernels/fused_criterion.cu), the CPU tests run the same code through the block emulator.
//
// One block takes up to fused_pairs_per_block(T) (candidate, pool trajectory) pairs of
// T <= kFusedMaxTile steps each. All its threads factor the pairs' posterior Grams G_q (T x T,
// noise on the diagonal) into shared memory (block_cholesky.cuh), then the targets stream past
// in tiles of kTargetTile: the tile's cross-covariance C(x_a, z) is produced in shared memory
// from the inputs (any number of factor products, each a GEMM over the feature width on the FP64
// tensor cores, fed by the cp.async pipeline of fused_staging.cuh: two per Linear layer, two per
// token pair of a Linear layer on token sequences; plus an RBF kernel evaluated in place), every
// column (zeroed between feature groups when the pairs and targets carry groups) is solved
// against its pair's factor by the whole block
// (block_forward_solve.cuh), and omega_z log v(z | X) and the information gain are accumulated.
// The pairs x T x M cross-covariance never reaches global memory. Tile sizes and the
// shared-memory layout: fused_tiling.cuh.
//
// Precision: float64 storage and arithmetic throughout. The FP64 tensor cores are IEEE float64
// fused multiply-adds (only the summation order differs from the CUDA cores); no TF32, bf16 or
// float32 anywhere: the criterion takes logs of conditional variances that cancel badly
// (DESIGN.md section 5).
#include <cstdint>

#include "async_copy.cuh"
#include "block_cholesky.cuh"
#include "block_forward_solve.cuh"
#include "block_program.cuh"
#include "fused_criterion_args.cuh"
#include "fused_staging.cuh"
#include "fused_tiling.cuh"
#include "tile_math.cuh"
#include "warp_mma.cuh"

namespace amf {
namespace kernels {

namespace fused_detail {

AMF_HD void zero(WarpTile& t) {
  AMF_UNROLL
  for (int i = 0; i < kRowFrags; ++i) {
    AMF_UNROLL
    for (int j = 0; j < kColFrags; ++j) warp_mma::zero(t[i][j]);
  }
}

// The thread's slot e of the parking area in the C tile (free while the GEMMs run): slot-major,
// so a warp's 32 lanes touch 32 consecutive doubles.
AMF_HD double& parked(double* c_tile, int e, BlockThread th) { return c_tile[e * th.count + th.index]; }

// Parks a warp tile in this thread's slots of the C tile (the first factor of a Linear layer, so
// that only two accumulators live in registers while the second factor is multiplied).
AMF_HD void park(const WarpTile& t, double* c_tile, BlockThread th) {
  AMF_UNROLL
  for (int i = 0; i < kRowFrags; ++i) {
    AMF_UNROLL
    for (int j = 0; j < kColFrags; ++j) {
      AMF_UNROLL
      for (int e = 0; e < 2; ++e) parked(c_tile, (i * kColFrags + j) * 2 + e, th) = t[i][j][e];
    }
  }
}

// c += coef * s for a Product term (s: acc), c += coef * s o (h + bias) for a LinearLayer term
// or one token pair of it (s: parked, h: acc; tile::linear_layer_term).
AMF_HD void add_term(WarpTile& c, const WarpTile& acc, const StreamTerm& term, double* c_tile, BlockThread th) {
  const bool linear = term.kind == StreamTermKind::LinearLayer;
  const double bias = term.bias;
  AMF_UNROLL
  for (int i = 0; i < kRowFrags; ++i) {
    AMF_UNROLL
    for (int j = 0; j < kColFrags; ++j) {
      AMF_UNROLL
      for (int e = 0; e < 2; ++e) {
        const double s = linear ? parked(c_tile, (i * kColFrags + j) * 2 + e, th) : 0.0;
        const double v = linear ? tile::linear_layer_term(s, acc[i][j][e], bias) : acc[i][j][e];
        c[i][j][e] += term.coef * v;
      }
    }
  }
}

// One chunk of the pipeline: issue the next chunk's copies (if the sequence has one), wait for
// this chunk's, multiply it into acc. Two barriers: the copies are visible to every warp before
// the multiplications, and every warp is done with a buffer before it is refilled.
AMF_HD void pipeline_step(const FusedCriterionArgs& a, ChunkCursor& next, int& chunk, std::int64_t q0,
                          const StagingRows& rows, double* stages, WarpTile& acc, BlockThread th) {
  if (next.z0 < a.M) {
    stage_chunk(a, next, q0, rows, stages + ((chunk + 1) % kStages) * kStageDoubles);
    advance(next, a);
  }
  async_commit();  // possibly empty, so that "all but the newest group" is always this chunk
  async_wait<1>();
  block_sync();
  warp_chunk_mma(stages + (chunk % kStages) * kStageDoubles, acc, th.index / 32, th.index % 32);
  block_sync();
  ++chunk;
}

}  // namespace fused_detail

// The block program: block `block` of the grid, pairs [block * pairs_per_block, ...).
// Requires th.count == kFusedThreads and 1 <= T <= kFusedMaxTile (the launcher checks both).
AMF_HD void fused_criterion_block(const FusedCriterionArgs& a, std::int64_t block, BlockThread th, double* shared) {
  using namespace fused_detail;
  const int T = a.T, per_block = fused_pairs_per_block(T);
  const std::int64_t q0 = block * per_block;
  const int pairs = a.P - q0 < per_block ? static_cast<int>(a.P - q0) : per_block;
  const int rows = pairs * T;
  const int warp = th.index / 32, lane = th.index % 32;
  const FusedSharedLayout layout = fused_shared_layout(T);
  double* stages = shared + layout.stages;
  double* C = shared + layout.c_tile;
  double* L = shared + layout.factors;
  double* cholesky_state = shared + layout.cholesky_state;

  // The first chunk's copies fly while the block factors its pairs.
  const StagingRows staging = staging_rows(th, T, rows);
  ChunkCursor next;  // the next chunk to copy
  int chunk = 0;     // chunks multiplied so far: chunk c sits in staging buffer c % kStages
  if (a.num_terms > 0 && a.M > 0) {
    stage_chunk(a, next, q0, staging, stages);
    advance(next, a);
  }
  async_commit();

  block_cholesky_with_jitter(a.G + q0 * T * T, std::int64_t(T) * T, T, pairs, L, cholesky_state, th);
  const double* jitter = block_cholesky_jitter(cholesky_state);

  // The solve: thread t owns target column t % kTargetTile of pair t / kTargetTile and keeps that
  // pair's sums across tiles.
  const int my_pair = th.index / kTargetTile, my_col = th.index % kTargetTile;
  double acc_j = 0.0, acc_g = 0.0;
  WarpTile c, acc;
  const int c_row = (warp % kWarpGridRows) * kWarpRows, c_col = (warp / kWarpGridRows) * kWarpCols;
  for (std::int64_t z0 = 0; z0 < a.M; z0 += kTargetTile) {
    zero(c);
    for (int t = 0; t < a.num_terms; ++t) {
      const StreamTerm& term = a.terms[t];
      const bool linear = term.kind == StreamTermKind::LinearLayer;
      const int factors = linear ? 2 : 1;
      // A LinearLayer term on S tokens: S^2 token pairs, in the cursor's order (advance()).
      const int token_pairs = linear ? term.tokens * term.tokens : 1;
      for (int p = 0; p < token_pairs; ++p) {
        for (int f = 0; f < factors; ++f) {
          const int width = f == 0 ? term.first.width : term.second.width;
          zero(acc);
          int k0 = 0;
          do {
            pipeline_step(a, next, chunk, q0, staging, stages, acc, th);
            k0 += kDepthChunk;
          } while (k0 < width);
          if (f + 1 < factors) park(acc, C, th);
        }
        add_term(c, acc, term, C, th);
      }
    }
    block_sync();  // every thread is done with its parked slots before the tile overwrites them
    AMF_UNROLL
    for (int i = 0; i < kRowFrags; ++i) {
      AMF_UNROLL
      for (int j = 0; j < kColFrags; ++j)
        warp_mma::store_row_major(C + (c_row + 8 * i) * kCLd + c_col + 8 * j, c[i][j], kCLd, lane);
    }
    block_sync();
    const int cols_valid = a.M - z0 < kTargetTile ? static_cast<int>(a.M - z0) : kTargetTile;
    if (a.rbf.present) {  // evaluated in place, element by element: thread t takes column t % 64
      const StreamRbf& k = a.rbf;
      const int dim = k.state_dim + k.task_dim;
      const int zz = th.index % kTargetTile;
      if (zz < cols_valid)
        for (int r = th.index / kTargetTile; r < rows; r += th.count / kTargetTile)
          C[r * kCLd + zz] += tile::rbf_state_task(k.points + (q0 * T + r) * dim, k.targets + (z0 + zz) * dim,
                                                   k.state_dim, k.task_dim, k.neg_half_inv_ls2_state,
                                                   k.neg_half_inv_ls2_task, k.signal_variance);
      block_sync();
    }
    if (a.pair_groups != nullptr) {  // the kernel between groups is 0: thread t takes column t % 64
      const int zz = th.index % kTargetTile;
      if (zz < cols_valid) {
        const std::int64_t target_group = a.target_groups[z0 + zz];
        for (int r = th.index / kTargetTile; r < rows; r += th.count / kTargetTile)
          if (a.pair_groups[q0 + r / T] != target_group) C[r * kCLd + zz] = 0.0;
      }
      block_sync();
    }
    const double explained = block_forward_solve<kTargetTile>(C, kCLd, L, T, pairs, jitter, cols_valid, th);
    if (my_pair < pairs && my_col < cols_valid && jitter[my_pair] >= 0) {
      const std::int64_t z = z0 + my_col;
      tile::add_log_variance_terms(a.prior[z], explained, a.floor, a.omega[z], &acc_j, &acc_g);
    }
  }
  async_wait<0>();
  block_sync();  // the staging buffers are free: the reduction reuses the first
  double* red = stages;
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
    a.jitter[q0 + th.index] = jitter[th.index];
  }
}

}  // namespace kernels
}  // namespace amf
