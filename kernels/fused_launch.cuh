#pragma once
// Launcher of the fused streaming criterion kernel (fused_criterion.cuh), kernels/fused_criterion.cu.
#include <cuda_runtime.h>

#include "fused_criterion.cuh"

namespace amf {
namespace kernels {

// One block per fused_pairs_per_block(T) pairs, kFusedThreads threads, fused_shared_doubles(T)
// doubles of dynamic shared memory (94 KiB at T = 64: needs the opt-in above 48 KiB, granted
// on sm_70 and later). Throws amf::Error for T outside 1..kFusedMaxTile, more than
// kMaxStreamTerms terms, or a failed launch.
void fused_criterion(const FusedCriterionArgs& args, cudaStream_t stream);

// Blocks of the fused kernel one SM holds at once for trajectories of T steps (its registers,
// threads and shared memory, from the CUDA occupancy calculator): a full wave of pairs is this
// x the SM count x fused_pairs_per_block(T), what the chunk planner fills.
int fused_blocks_per_sm(int T);

}  // namespace kernels
}  // namespace amf
