#pragma once
// How the device backends cut a pass's (candidate, pool trajectory) pairs into chunks, as host
// functions the CPU tests cover (tests/test_pair_chunks.cpp). A chunk holds pairs of one
// trajectory length (the kernels take one T per launch), so pairs are first sorted by length;
// unsorted, mixed lengths would shrink chunks to a pair or two. Within a length, chunks hold
// whole waves of the kernel (pairs_per_wave: resident blocks per SM x SMs x pairs per block) when
// memory allows, so no chunk but a length's last leaves SMs idle in a partly filled last wave.
#include <cstdint>
#include <functional>
#include <vector>

#include "amf/criterion.hpp"

namespace amf {
namespace detail {

// Stable: pairs of equal length keep their order. traj_offsets: trajectory i has steps
// traj_offsets[i + 1] - traj_offsets[i].
void sort_pairs_by_length(std::vector<CandidatePair>& pairs, const std::int64_t* traj_offsets);

struct PairChunk {
  std::size_t begin, end;  // pairs [begin, end)
  std::int64_t steps;      // T of every pair in the chunk
  std::int64_t size() const { return static_cast<std::int64_t>(end - begin); }
};

struct ChunkLimit {
  std::int64_t max_pairs;       // what the chunk's buffers may hold (>= 1)
  std::int64_t pairs_per_wave;  // pairs the device runs at once (>= 1)
};

// Chunks of consecutive pairs of equal length: each at most limit(T).max_pairs, and a multiple of
// limit(T).pairs_per_wave when at least one wave fits, else as many pairs as fit. Throws
// amf::Error on a limit below 1.
std::vector<PairChunk> plan_pair_chunks(const std::vector<CandidatePair>& pairs, const std::int64_t* traj_offsets,
                                        const std::function<ChunkLimit(std::int64_t steps)>& limit);

// Per-candidate segments of a pass's pairs for the device's weighted sums: order[k] is the
// position in `pairs` of the k-th pair in candidate order (stable), and candidate c's pairs are
// order[segments[c - first] .. segments[c - first + 1]). Candidates without pairs get empty segments.
struct CandidateSegments {
  std::vector<std::int64_t> order, segments;
};
CandidateSegments candidate_segments(const std::vector<CandidatePair>& pairs, std::int64_t first,
                                     std::int64_t count);

}  // namespace detail
}  // namespace amf
