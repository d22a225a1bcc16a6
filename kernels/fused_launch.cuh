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

}  // namespace kernels
}  // namespace amf
