#pragma once
// What the CUDA criteria do with scored (candidate, pool trajectory) pairs: add w J and w gain to
// each pair's candidate, and fail with the candidate's name when a Gram could not be factorised.
// candidate_scores does it on the device once per pass (CUB/Thrust, kernels/pair_reductions.cuh);
// add_pair_scores on the host per chunk.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <string>
#include <vector>

#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "amf/session.hpp"
#include "cuda/device_linalg.hpp"
#include "prep/pair_chunks.hpp"
#include "pair_reductions.cuh"

namespace amf {
namespace detail {

inline NumericalError not_positive_definite(const CandidatePair& pr) {
  return NumericalError("CUDA backend: the conditional Gram of candidate " + std::to_string(pr.candidate) +
                        " with pool trajectory " + std::to_string(pr.trajectory) +
                        " is not positive definite even with jitter (NaN in the inputs?)");
}

// Pairs [q0, q0 + P) of `pairs`; J and gain are indexed from candidate `first` (a session's
// range). Returns how many pairs needed diagonal jitter.
inline std::int64_t add_pair_scores(const std::vector<CandidatePair>& pairs, std::size_t q0, std::int64_t P,
                                    std::int64_t first, const double* dJ, const double* dGain, const double* dJitter, cudaStream_t s,
                                    std::vector<double>& J, std::vector<double>& gain) {
  const auto hJ = download(dJ, P, s), hGain = download(dGain, P, s), hJit = download(dJitter, P, s);
  std::int64_t jittered = 0;
  for (std::int64_t q = 0; q < P; ++q) {
    const CandidatePair& pr = pairs[q0 + q];
    if (hJit[q] < 0) throw not_positive_definite(pr);
    jittered += hJit[q] > 0;
    J[pr.candidate - first] += pr.weight * hJ[q];
    gain[pr.candidate - first] += pr.weight * hGain[q];
  }
  return jittered;
}

// The candidate-order segments of a pass's pairs on the device (prep/pair_chunks.hpp:
// candidate_segments; weight[k] is the weight of pair order[k]).
struct DeviceCandidateOrder {
  const std::int64_t* order;
  const double* weight;
  const std::int64_t* segments;
};

// A pass's per-candidate J and gain from every pair's scores (dJ, dGain, dJitter: one entry per
// pair of `pairs`, on the device), for the `count` candidates of the segments. Synchronises once.
inline PassScores candidate_scores(const std::vector<CandidatePair>& pairs, std::int64_t count,
                                   const double* dJ, const double* dGain, const double* dJitter,
                                   const DeviceCandidateOrder& o, double* dCandJ, double* dCandGain,
                                   DeviceBuffer<unsigned char>& scratch, cudaStream_t s) {
  kernels::weighted_segment_sums(dJ, o.order, o.weight, o.segments, count, dCandJ, scratch, s);
  kernels::weighted_segment_sums(dGain, o.order, o.weight, o.segments, count, dCandGain, scratch, s);
  const kernels::JitterOutcome jitter =
      kernels::jitter_outcome(dJitter, static_cast<std::int64_t>(pairs.size()), s);
  if (jitter.first_failed >= 0) throw not_positive_definite(pairs[jitter.first_failed]);
  if (jitter.jittered > 0)
    spdlog::warn("amf cuda: {} candidate conditional Grams needed diagonal jitter", jitter.jittered);
  PassScores out;
  out.J = download(dCandJ, count, s);
  out.info_gain = download(dCandGain, count, s);
  return out;
}

// A session's per-pass scores on the device: per pair (in the pass's length order) J, gain and the
// jitter flag that the chunks' kernels write, and the per-candidate weighted sums over them. Both
// CUDA criteria keep one, prepared once per pass plan.
class DevicePassScores {
 public:
  // pairs: the pass's pairs in length order, of candidates [first, first + count). Uploads the
  // candidate-order segments and synchronises (its host staging goes out of scope).
  void prepare(const std::vector<CandidatePair>& pairs, std::int64_t first, std::int64_t count, cudaStream_t s) {
    const CandidateSegments seg = candidate_segments(pairs, first, count);
    std::vector<double> w(seg.order.size());
    for (std::size_t k = 0; k < w.size(); ++k) w[k] = pairs[seg.order[k]].weight;
    const std::size_t P = pairs.size();
    order_ = DeviceBuffer<std::int64_t>(P);
    order_weight_ = DeviceBuffer<double>(P);
    segments_ = DeviceBuffer<std::int64_t>(seg.segments.size());
    upload(order_, seg.order.data(), P, s);
    upload(order_weight_, w.data(), P, s);
    upload(segments_, seg.segments.data(), seg.segments.size(), s);
    J_ = DeviceBuffer<double>(P);
    gain_ = DeviceBuffer<double>(P);
    jitter_ = DeviceBuffer<double>(P);
    count_ = count;
    candidate_J_ = DeviceBuffer<double>(static_cast<std::size_t>(count));
    candidate_gain_ = DeviceBuffer<double>(static_cast<std::size_t>(count));
    AMF_CUDA_TRY(cudaStreamSynchronize(s));
  }
  // Where pair q's scores go.
  double* J(std::size_t q) { return J_.get() + q; }
  double* gain(std::size_t q) { return gain_.get() + q; }
  double* jitter(std::size_t q) { return jitter_.get() + q; }
  // The per-candidate sums of the pass (candidate_scores).
  PassScores sum(const std::vector<CandidatePair>& pairs, DeviceBuffer<unsigned char>& scratch, cudaStream_t s) {
    return candidate_scores(pairs, count_, J_.get(), gain_.get(), jitter_.get(),
                            {order_.get(), order_weight_.get(), segments_.get()}, candidate_J_.get(),
                            candidate_gain_.get(), scratch, s);
  }

 private:
  DeviceBuffer<double> J_, gain_, jitter_, order_weight_, candidate_J_, candidate_gain_;
  DeviceBuffer<std::int64_t> order_, segments_;
  std::int64_t count_ = 0;
};

}  // namespace detail
}  // namespace amf
