#include "prep/pair_chunks.hpp"

#include <algorithm>
#include <string>

#include "amf/error.hpp"

namespace amf {
namespace detail {

void sort_pairs_by_length(std::vector<CandidatePair>& pairs, const std::int64_t* off) {
  std::stable_sort(pairs.begin(), pairs.end(), [off](const CandidatePair& a, const CandidatePair& b) {
    return off[a.trajectory + 1] - off[a.trajectory] < off[b.trajectory + 1] - off[b.trajectory];
  });
}

std::vector<PairChunk> plan_pair_chunks(const std::vector<CandidatePair>& pairs, const std::int64_t* off,
                                        const std::function<ChunkLimit(std::int64_t)>& limit) {
  std::vector<PairChunk> chunks;
  auto steps = [&](std::size_t q) { return off[pairs[q].trajectory + 1] - off[pairs[q].trajectory]; };
  std::size_t q0 = 0;
  while (q0 < pairs.size()) {
    const std::int64_t T = steps(q0);
    const ChunkLimit l = limit(T);
    if (l.max_pairs < 1 || l.pairs_per_wave < 1)
      throw Error("plan_pair_chunks: limit for T = " + std::to_string(T) + " is " + std::to_string(l.max_pairs) +
                  " pairs, waves of " + std::to_string(l.pairs_per_wave));
    const std::int64_t cap = l.max_pairs >= l.pairs_per_wave ? l.max_pairs / l.pairs_per_wave * l.pairs_per_wave
                                                             : l.max_pairs;
    std::size_t q1 = q0;
    while (q1 < pairs.size() && static_cast<std::int64_t>(q1 - q0) < cap && steps(q1) == T) ++q1;
    chunks.push_back({q0, q1, T});
    q0 = q1;
  }
  return chunks;
}

CandidateSegments candidate_segments(const std::vector<CandidatePair>& pairs, std::int64_t first,
                                     std::int64_t count) {
  CandidateSegments s;
  s.segments.assign(count + 1, 0);
  for (const CandidatePair& p : pairs) {
    if (p.candidate < first || p.candidate >= first + count)
      throw Error("candidate_segments: candidate " + std::to_string(p.candidate) + " outside [" +
                  std::to_string(first) + ", " + std::to_string(first + count) + ")");
    ++s.segments[p.candidate - first + 1];
  }
  for (std::int64_t c = 0; c < count; ++c) s.segments[c + 1] += s.segments[c];
  // Counting sort: stable, linear in pairs + candidates.
  std::vector<std::int64_t> next(s.segments.begin(), s.segments.end() - 1);
  s.order.resize(pairs.size());
  for (std::size_t k = 0; k < pairs.size(); ++k) s.order[next[pairs[k].candidate - first]++] = static_cast<std::int64_t>(k);
  return s;
}

}  // namespace detail
}  // namespace amf
