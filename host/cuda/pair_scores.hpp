#pragma once
// What both CUDA criteria do with a chunk of scored (candidate, pool trajectory) pairs: bring
// J, gain and the jitter each pair's factor needed back from the device, add w J and w gain to the
// pair's candidate, and fail with the candidate's name when a Gram could not be factorised.
#include <cstdint>
#include <string>
#include <vector>

#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "cuda/device_linalg.hpp"

namespace amf {
namespace detail {

// Pairs [q0, q0 + P) of `pairs`; J and gain are indexed from candidate `first` (a session's
// range). Returns how many pairs needed diagonal jitter.
inline std::int64_t add_pair_scores(const std::vector<CandidatePair>& pairs, std::size_t q0, std::int64_t P,
                                    std::int64_t first, const double* dJ, const double* dGain, const double* dJitter, cudaStream_t s,
                                    std::vector<double>& J, std::vector<double>& gain) {
  const auto hJ = download(dJ, P, s), hGain = download(dGain, P, s), hJit = download(dJitter, P, s);
  std::int64_t jittered = 0;
  for (std::int64_t q = 0; q < P; ++q) {
    const CandidatePair& pr = pairs[q0 + q];
    if (hJit[q] < 0)
      throw NumericalError("CUDA backend: the conditional Gram of candidate " + std::to_string(pr.candidate) +
                           " with pool trajectory " + std::to_string(pr.trajectory) +
                           " is not positive definite even with jitter (NaN in the inputs?)");
    jittered += hJit[q] > 0;
    J[pr.candidate - first] += pr.weight * hJ[q];
    gain[pr.candidate - first] += pr.weight * hGain[q];
  }
  return jittered;
}

}  // namespace detail
}  // namespace amf
