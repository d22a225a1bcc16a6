#pragma once
// Tile sizes and the shared-memory layout of the fused criterion kernel (fused_criterion.cuh),
// chosen for the H100/H200 (sm_90: 228 KiB shared memory and 64 Ki registers per SM).
//
// A block holds kFusedRows candidate rows (whole pairs of T steps) against kTargetTile targets.
// 64 x 64 rather than the 128 x 32 of the first version: the candidate rows are what streams
// from HBM (the targets of one tile are shared by every resident block through L2), and they are
// re-read once per target tile, so 64 targets halve that traffic. The cross-covariance of the
// tile is 4096 doubles either way, 16 per thread: three such accumulators (the running sum and
// the two factor products of a Linear layer) would take 96 of the 128 registers two blocks per
// SM allow, so the first factor of a Linear layer is parked in shared memory instead (see
// fused_criterion.cuh), leaving room for the copy pipeline without spills.
//
// Shared memory, in doubles (88 KiB at T = 50, 94 KiB at T = 64: two blocks per SM):
//   two staging buffers   2 x (64 + 64) rows x kStageLd   (cp.async double buffering)
//   the C tile            64 rows x kCLd                   (row-major; between tiles, scratch)
//   the factors           pairs x T (T + 1) / 2            (packed lower triangles)
//   the Cholesky state    kCholeskyStateDoubles
// The final per-thread reduction reuses the first staging buffer.
#include <cstdint>

#include "block_cholesky.cuh"
#include "block_program.cuh"

namespace amf {
namespace kernels {

constexpr int kFusedThreads = 256;  // 8 warps
constexpr int kFusedWarps = kFusedThreads / 32;
constexpr int kFusedMaxTile = 64;  // longest trajectory a block factors
constexpr int kFusedRows = 64;     // candidate rows (pairs x T) one block holds
constexpr int kTargetTile = 64;    // targets per streamed tile
// Each solving thread owns one (pair, target column), so a block takes at most this many pairs.
constexpr int kMaxBlockPairs = kFusedThreads / kTargetTile;
constexpr int kDepthChunk = 16;  // feature columns per staging buffer
// Staging row stride: 20 = 4 mod 16, so the 16 lanes of a half-warp reading an 8 x 4 MMA operand
// (rows r..r+3, columns k..k+3) hit 16 different 8-byte bank pairs; rows stay 32-byte aligned.
constexpr int kStageLd = kDepthChunk + 4;
constexpr int kStageDoubles = (kFusedRows + kTargetTile) * kStageLd;
constexpr int kStages = 2;
// C-tile row stride: 72 = 8 mod 16, so the two rows of an 8 x 8 accumulator a quarter-warp
// stores with 16-byte writes fall in different banks; the solve reads whole rows (any stride).
constexpr int kCLd = kTargetTile + 8;
// Warps tile the block's 64 x 64 as 4 x 2 warp tiles of 16 rows x 32 targets (2 x 4 MMA tiles).
constexpr int kWarpRows = 16, kWarpCols = 32;
constexpr int kRowFrags = kWarpRows / 8, kColFrags = kWarpCols / 8;
constexpr int kWarpGridRows = kFusedRows / kWarpRows;
constexpr int kAccDoubles = kRowFrags * kColFrags * 2;  // one warp tile's share per lane

static_assert(kWarpGridRows * (kTargetTile / kWarpCols) == kFusedWarps, "the warps tile the block");
static_assert(kMaxBlockPairs <= kMaxBlockCholeskyPairs, "every pair of a block gets its Cholesky state");
static_assert(kMaxBlockPairs * kTargetTile == kFusedThreads, "one (pair, column) per solving thread");
// Staging: each thread copies two 2-double pieces of two rows of each operand per chunk.
static_assert(kFusedThreads * 4 == kFusedRows * kDepthChunk && kFusedRows == kTargetTile, "copy mapping");
static_assert(kDepthChunk % 4 == 0 && kStageLd % 4 == 0 && kCLd % 4 == 0, "32-byte aligned MMA fragments");
static_assert(kFusedThreads * kAccDoubles <= kFusedRows * kCLd, "a parked warp tile fits in the C tile");
static_assert(2 * kFusedThreads <= kStageDoubles, "the reduction fits in a staging buffer");

// Pairs one block takes for trajectories of T steps: as many as fill kFusedRows rows, at most
// kMaxBlockPairs.
AMF_HD int fused_pairs_per_block(int T) {
  const int fit = T >= kFusedRows ? 1 : kFusedRows / T;
  return fit < kMaxBlockPairs ? fit : kMaxBlockPairs;
}

// Offsets (in doubles) of the shared-memory regions for trajectories of T steps.
struct FusedSharedLayout {
  int stages = 0, c_tile = 0, factors = 0, cholesky_state = 0, total = 0;
};

AMF_HD FusedSharedLayout fused_shared_layout(int T) {
  FusedSharedLayout s;
  s.stages = 0;
  s.c_tile = kStages * kStageDoubles;
  s.factors = s.c_tile + kFusedRows * kCLd;
  s.cholesky_state = s.factors + fused_pairs_per_block(T) * packed_lower_doubles(T);
  s.total = s.cholesky_state + kCholeskyStateDoubles;
  return s;
}

AMF_HD std::int64_t fused_shared_doubles(int T) { return fused_shared_layout(T).total; }

}  // namespace kernels
}  // namespace amf
