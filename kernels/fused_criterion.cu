// Device entry of the fused streaming criterion: the block program of fused_criterion.cuh,
// the same code the CPU tests run through the block emulator.
#include <string>

#include "cuda/cuda_check.hpp"
#include "fused_launch.cuh"

namespace amf {
namespace kernels {
namespace {

// At most 128 registers per thread, so that two blocks (fused_tiling.cuh: 94 KiB of shared memory
// each at T = 64) stay resident per SM; tests/sass_check.cmake fails the build's tests on spills.
__global__ void __launch_bounds__(kFusedThreads, 2) fused_criterion_kernel(const FusedCriterionArgs args) {
  extern __shared__ __align__(128) double shared[];  // wmma fragments need 32-byte alignment
  fused_criterion_block(args, blockIdx.x, BlockThread{static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x)},
                        shared);
}

}  // namespace

void fused_criterion(const FusedCriterionArgs& args, cudaStream_t stream) {
  if (args.T < 1 || args.T > kFusedMaxTile)
    throw Error("fused_criterion: T = " + std::to_string(args.T) + " (the fused kernel covers 1.." +
                std::to_string(kFusedMaxTile) + ")");
  if (args.num_terms < 0 || args.num_terms > kMaxStreamTerms)
    throw Error("fused_criterion: " + std::to_string(args.num_terms) + " cross-covariance terms (at most " +
                std::to_string(kMaxStreamTerms) + ")");
  for (int t = 0; t < args.num_terms; ++t)
    if (args.terms[t].tokens < 1 || (args.terms[t].kind == StreamTermKind::Product && args.terms[t].tokens != 1))
      throw Error("fused_criterion: term " + std::to_string(t) + " has " + std::to_string(args.terms[t].tokens) +
                  " tokens (a Linear layer 1 or more, a product 1)");
  if (args.P == 0) return;
  const std::int64_t blocks = (args.P + fused_pairs_per_block(args.T) - 1) / fused_pairs_per_block(args.T);
  const std::size_t bytes = static_cast<std::size_t>(fused_shared_doubles(args.T)) * sizeof(double);
  AMF_CUDA_TRY(cudaFuncSetAttribute(fused_criterion_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
  fused_criterion_kernel<<<static_cast<unsigned>(blocks), kFusedThreads, bytes, stream>>>(args);
  AMF_CUDA_TRY(cudaGetLastError());
}

int fused_blocks_per_sm(int T) {
  if (T < 1 || T > kFusedMaxTile) throw Error("fused_blocks_per_sm: T = " + std::to_string(T));
  const std::size_t bytes = static_cast<std::size_t>(fused_shared_doubles(T)) * sizeof(double);
  AMF_CUDA_TRY(cudaFuncSetAttribute(fused_criterion_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
  int blocks = 0;
  AMF_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, fused_criterion_kernel, kFusedThreads, bytes));
  return blocks;
}

}  // namespace kernels
}  // namespace amf
