#pragma once
// A pass's reductions over its scored pairs, on the device with CUB and Thrust instead of a
// download per chunk (each one a stream synchronisation that stalled the copy/compute overlap):
// per-candidate weighted sums of the pairs' J and gain, and the pairs' jitter outcomes.
// kernels/pair_reductions.cu.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_check.hpp"

namespace amf {
namespace kernels {

// out[c] = sum_{k in [segments[c], segments[c+1])} weight[k] * score[order[k]] for c < count
// (prep/pair_chunks.hpp: candidate_segments; weight in the same candidate order). scratch grows.
void weighted_segment_sums(const double* score, const std::int64_t* order, const double* weight,
                           const std::int64_t* segments, std::int64_t count, double* out,
                           detail::DeviceBuffer<unsigned char>& scratch, cudaStream_t stream);

struct JitterOutcome {
  std::int64_t jittered;      // pairs whose factor needed diagonal jitter (jitter > 0)
  std::int64_t first_failed;  // first pair that failed even with jitter (jitter < 0), -1 if none
};

// Synchronises the stream (the results come back to the host).
JitterOutcome jitter_outcome(const double* jitter, std::int64_t pairs, cudaStream_t stream);

}  // namespace kernels
}  // namespace amf
