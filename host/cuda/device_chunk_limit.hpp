#pragma once
// What one chunk of (candidate, trajectory) pairs of T steps may be on the device, for both CUDA
// criteria (prep/pair_chunks.hpp plans the chunks from it): as many pairs as `budget_bytes` holds
// at `bytes_per_pair` (at least 1, at most 65535: a grid dimension), and one wave of the kernel
// that scores them, so that chunks fill whole waves. A caller-fixed chunk size
// (BackendOptions::cuda_chunk_pairs > 0) replaces the wave and caps the memory bound.
#include <algorithm>
#include <cstdint>

#include "cuda/cuda_context.hpp"
#include "fused_launch.cuh"
#include "gp_kernels.cuh"
#include "prep/pair_chunks.hpp"

namespace amf {
namespace detail {

inline ChunkLimit device_chunk_limit(double budget_bytes, double bytes_per_pair, std::int64_t T, bool fused,
                                     std::int64_t chunk_pairs, const CudaContext& ctx) {
  const auto by_memory = std::clamp<std::int64_t>(static_cast<std::int64_t>(budget_bytes / bytes_per_pair), 1, 65535);
  if (chunk_pairs > 0) return {std::min(by_memory, chunk_pairs), 1};
  const int sms = ctx.multiprocessors();
  const std::int64_t wave = fused ? std::int64_t(kernels::fused_blocks_per_sm(static_cast<int>(T))) * sms *
                                        kernels::fused_pairs_per_block(static_cast<int>(T))
                                  : std::int64_t(kernels::criterion_tile_blocks_per_sm()) * sms;
  return {by_memory, std::max<std::int64_t>(wave, 1)};
}

}  // namespace detail
}  // namespace amf
