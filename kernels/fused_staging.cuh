#pragma once
// The fused criterion kernel's copy pipeline (fused_criterion.cuh): the factor products of every
// target tile are cut into chunks of kDepthChunk feature columns, and each chunk's candidate and
// target rows are copied into one of two staging buffers with cp.async (async_copy.cuh) while
// the warps multiply the previous chunk. The chunks form one sequence over (tile, term, token
// pair, factor, column offset); a ChunkCursor walks it one step ahead of the multiplications,
// across factor, token-pair, term and tile boundaries, so the next tile's first rows are in
// flight during this tile's solve.
//
// Each thread copies the same two rows of each operand in every chunk (rows t / 8 and t / 8 + 32,
// columns 2 (t % 8) and the next), so the row divisions by T happen once per block
// (StagingRows), and a chunk costs each thread four 16-byte copies, or eight 8-byte ones when a
// factor's rows are not 16-byte aligned (odd widths or strides).
#include <cstdint>

#include "async_copy.cuh"
#include "fused_criterion_args.cuh"
#include "fused_tiling.cuh"
#include "warp_mma.cuh"

namespace amf {
namespace kernels {

// Position of a chunk in the block's sequence: target tile z0, term, token pair (u of the
// candidate rows, v of the targets; 0, 0 but for a LinearLayer term on tokens), factor (0:
// first, 1: second of a LinearLayer term) and feature column offset k0 (within the token).
struct ChunkCursor {
  std::int64_t z0 = 0;
  int term = 0, u = 0, v = 0, factor = 0, k0 = 0;
};

AMF_HD const StreamFactor& cursor_factor(const FusedCriterionArgs& a, const ChunkCursor& c) {
  return c.factor == 0 ? a.terms[c.term].first : a.terms[c.term].second;
}

// Moves to the next chunk: a factor of width w has max(1, ceil(w / kDepthChunk)) chunks, a
// LinearLayer term both factors for each of its tokens^2 token pairs (v fastest). Counters only:
// no division.
AMF_HD void advance(ChunkCursor& c, const FusedCriterionArgs& a) {
  const StreamTerm& term = a.terms[c.term];
  c.k0 += kDepthChunk;
  if (c.k0 < cursor_factor(a, c).width) return;
  c.k0 = 0;
  if (term.kind == StreamTermKind::LinearLayer) {
    if (c.factor == 0) {
      c.factor = 1;
      return;
    }
    c.factor = 0;
    if (++c.v < term.tokens) return;
    c.v = 0;
    if (++c.u < term.tokens) return;
    c.u = 0;
  }
  if (++c.term < a.num_terms) return;
  c.term = 0;
  c.z0 += kTargetTile;
}

// The rows and columns one thread copies, with its candidate rows' (pair, step) worked out once.
struct StagingRows {
  int row = 0, col = 0;           // rows row and row + 32, columns col and col + 1 of a chunk
  int pair[2] = {0, 0}, step[2] = {0, 0};
  bool valid[2] = {false, false};  // candidate row inside the block's pairs
};

AMF_HD StagingRows staging_rows(BlockThread th, int T, int rows) {
  StagingRows s;
  s.row = th.index / 8;
  s.col = 2 * (th.index % 8);
  for (int i = 0; i < 2; ++i) {
    const int r = s.row + 32 * i;
    s.pair[i] = r / T;
    s.step[i] = r % T;
    s.valid[i] = r < rows;
  }
  return s;
}

// Whether a factor's rows allow 16-byte copies: both bases 16-byte aligned and every stride and
// the width even (a 2-double piece never straddles the end of a row).
AMF_HD bool sixteen_byte_rows(const StreamFactor& f) {
  const auto bases = reinterpret_cast<std::uintptr_t>(f.candidates) | reinterpret_cast<std::uintptr_t>(f.targets);
  return bases % 16 == 0 && ((f.pair_stride | f.candidate_ld | f.target_ld | std::int64_t(f.width)) & 1) == 0;
}

// Copies two doubles (columns k, k + 1 of a row) into dst, zeros past the width or for an
// invalid row.
AMF_HD void copy_piece(double* dst, const double* row_start, int k, int width, bool row_valid, bool sixteen) {
  const double* src = row_start + (row_valid ? k : 0);
  if (sixteen) {
    async_copy<2>(dst, src, row_valid && k < width);
  } else {
    async_copy<1>(dst, src, row_valid && k < width);
    async_copy<1>(dst + 1, src + (row_valid ? 1 : 0), row_valid && k + 1 < width);
  }
}

// Issues this thread's copies of chunk c into `stage` (candidate rows, then target rows): the
// candidate rows of pairs q0.. (zeros past the block's rows), the targets z0.. (zeros past M);
// token u of the candidate rows, token v of the targets. Token offsets are multiples of the
// width, so a factor with 16-byte rows keeps them for every token.
AMF_HD void stage_chunk(const FusedCriterionArgs& a, const ChunkCursor& c, std::int64_t q0, const StagingRows& s,
                        double* stage) {
  const StreamFactor& f = cursor_factor(a, c);
  const bool sixteen = sixteen_byte_rows(f);
  const int k = c.k0 + s.col;
  const double* candidates = f.candidates + c.u * f.width;
  const double* targets = f.targets + c.v * f.width;
  AMF_UNROLL
  for (int i = 0; i < 2; ++i) {
    const int r = s.row + 32 * i;
    const double* cand =
        s.valid[i] ? candidates + (q0 + s.pair[i]) * f.pair_stride + std::int64_t(s.step[i]) * f.candidate_ld
                   : candidates;
    copy_piece(stage + r * kStageLd + s.col, cand, k, f.width, s.valid[i], sixteen);
    const std::int64_t z = c.z0 + r;
    const double* targ = z < a.M ? targets + z * f.target_ld : targets;
    copy_piece(stage + (kFusedRows + r) * kStageLd + s.col, targ, k, f.width, z < a.M, sixteen);
  }
}

using WarpTile = warp_mma::Acc[kRowFrags][kColFrags];

// acc += this warp's 16 rows x 32 targets of the staged chunk's product (zero-padded past the
// factor's width, so always kDepthChunk deep).
AMF_HD void warp_chunk_mma(const double* stage, WarpTile& acc, int warp, int lane) {
  const double* As = stage + (warp % kWarpGridRows) * kWarpRows * kStageLd;
  const double* Bs = stage + (kFusedRows + (warp / kWarpGridRows) * kWarpCols) * kStageLd;
  AMF_UNROLL
  for (int k = 0; k < kDepthChunk; k += 4) {
    warp_mma::FragB b[kColFrags];
    AMF_UNROLL
    for (int j = 0; j < kColFrags; ++j) warp_mma::load_b(b[j], Bs + 8 * j * kStageLd + k, kStageLd, lane);
    AMF_UNROLL
    for (int i = 0; i < kRowFrags; ++i) {
      warp_mma::FragA fa;
      warp_mma::load_a(fa, As + 8 * i * kStageLd + k, kStageLd, lane);
      AMF_UNROLL
      for (int j = 0; j < kColFrags; ++j) warp_mma::mma(acc[i][j], fa, b[j], lane);
    }
  }
}

}  // namespace kernels
}  // namespace amf
