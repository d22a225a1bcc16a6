#pragma once
// What both CUDA criteria do with a chunk of scored (candidate, pool trajectory) pairs: bring
// J, gain and the jitter each pair's factor needed back from the device, add w J and w gain to the
// pair's candidate, and fail with the candidate's name when a Gram could not be factorised.
#include <cstdint>
#include <string>
#include <vector>

#include "amf/error.hpp"
#include "cuda/device_linalg.hpp"

namespace amf {
namespace detail {

struct DevicePair {
  std::int64_t c, i;  // candidate, pool trajectory
  double w;           // importance weight
};

// Pairs [q0, q0 + P) of `pairs`; returns how many needed diagonal jitter.
inline std::int64_t add_pair_scores(const std::vector<DevicePair>& pairs, std::size_t q0, std::int64_t P,
                                    const double* dJ, const double* dGain, const double* dJitter, cudaStream_t s,
                                    std::vector<double>& J, std::vector<double>& gain) {
  const auto hJ = download(dJ, P, s), hGain = download(dGain, P, s), hJit = download(dJitter, P, s);
  std::int64_t jittered = 0;
  for (std::int64_t q = 0; q < P; ++q) {
    const DevicePair& pr = pairs[q0 + q];
    if (hJit[q] < 0)
      throw NumericalError("CUDA backend: the conditional Gram of candidate " + std::to_string(pr.c) +
                           " with pool trajectory " + std::to_string(pr.i) +
                           " is not positive definite even with jitter (NaN in the inputs?)");
    jittered += hJit[q] > 0;
    J[pr.c] += pr.w * hJ[q];
    gain[pr.c] += pr.w * hGain[q];
  }
  return jittered;
}

}  // namespace detail
}  // namespace amf
