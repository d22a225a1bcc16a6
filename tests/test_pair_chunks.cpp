// The device backends' chunk planning on the host (prep/pair_chunks.hpp): pairs sorted by
// trajectory length, chunks of one length in whole waves within the memory limit, and the
// per-candidate segments of the device's weighted sums.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "amf/error.hpp"
#include "prep/pair_chunks.hpp"

namespace {

using amf::CandidatePair;
using amf::detail::ChunkLimit;
using amf::detail::PairChunk;

// Trajectory lengths 5, 3, 5, 7, 3 as offsets.
const std::vector<std::int64_t> kOffsets{0, 5, 8, 13, 20, 23};

std::int64_t steps(const CandidatePair& p) { return kOffsets[p.trajectory + 1] - kOffsets[p.trajectory]; }

std::vector<CandidatePair> pairs_of(const std::vector<std::int64_t>& trajectories) {
  std::vector<CandidatePair> pairs;
  for (std::size_t k = 0; k < trajectories.size(); ++k)
    pairs.push_back({static_cast<std::int64_t>(k), trajectories[k], 0.1 * static_cast<double>(k + 1)});
  return pairs;
}

TEST(PairChunks, SortByLengthIsStableAndGroupsEqualLengths) {
  auto pairs = pairs_of({0, 1, 2, 3, 4, 0, 1, 3});
  amf::detail::sort_pairs_by_length(pairs, kOffsets.data());
  std::vector<std::int64_t> order;
  for (const auto& p : pairs) order.push_back(p.candidate);
  // T 3: candidates 1, 4, 6; T 5: 0, 2, 5; T 7: 3, 7 (input order kept within a length).
  EXPECT_EQ(order, (std::vector<std::int64_t>{1, 4, 6, 0, 2, 5, 3, 7}));
}

TEST(PairChunks, ChunksAreWholeWavesOfOneLength) {
  // 23 pairs of T 3, then 9 of T 5; memory for 10 pairs, waves of 4: chunks of 8 (two waves).
  std::vector<std::int64_t> traj(23, 1);
  traj.insert(traj.end(), 9, 0);
  const auto pairs = pairs_of(traj);
  const auto chunks = amf::detail::plan_pair_chunks(pairs, kOffsets.data(), [](std::int64_t) {
    return ChunkLimit{10, 4};
  });
  std::vector<std::int64_t> sizes, lengths;
  for (const PairChunk& c : chunks) {
    sizes.push_back(c.size());
    lengths.push_back(c.steps);
    for (std::size_t q = c.begin; q < c.end; ++q) EXPECT_EQ(steps(pairs[q]), c.steps);
  }
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{8, 8, 7, 8, 1}));
  EXPECT_EQ(lengths, (std::vector<std::int64_t>{3, 3, 3, 5, 5}));
  EXPECT_EQ(chunks.front().begin, 0u);
  for (std::size_t k = 1; k < chunks.size(); ++k) EXPECT_EQ(chunks[k].begin, chunks[k - 1].end);
  EXPECT_EQ(chunks.back().end, pairs.size());
}

TEST(PairChunks, LessThanAWaveOfMemoryTakesWhatFits) {
  const auto pairs = pairs_of(std::vector<std::int64_t>(7, 3));
  const auto chunks = amf::detail::plan_pair_chunks(pairs, kOffsets.data(), [](std::int64_t T) {
    EXPECT_EQ(T, 7);
    return ChunkLimit{3, 528};
  });
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].size(), 3);
  EXPECT_EQ(chunks[2].size(), 1);
}

TEST(PairChunks, LimitDependsOnLengthAndBadLimitsThrow) {
  const auto pairs = pairs_of({1, 1, 1, 3, 3, 3});  // T 3 then T 7
  const auto chunks = amf::detail::plan_pair_chunks(pairs, kOffsets.data(), [](std::int64_t T) {
    return T == 3 ? ChunkLimit{100, 2} : ChunkLimit{1, 1};
  });
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].size(), 3);  // the whole run: fewer pairs than the limit
  EXPECT_EQ(chunks[1].size(), 1);
  EXPECT_THROW(amf::detail::plan_pair_chunks(pairs, kOffsets.data(), [](std::int64_t) { return ChunkLimit{0, 1}; }),
               amf::Error);
  EXPECT_TRUE(amf::detail::plan_pair_chunks({}, kOffsets.data(), [](std::int64_t) { return ChunkLimit{0, 0}; }).empty());
}

TEST(PairChunks, CandidateSegmentsListEachCandidatesPairsInOrder) {
  // Candidates (from 10): 12, 10, 12, 14, 10; candidate 11 and 13 have none.
  std::vector<CandidatePair> pairs{{12, 0, 1}, {10, 1, 1}, {12, 2, 1}, {14, 3, 1}, {10, 4, 1}};
  const auto s = amf::detail::candidate_segments(pairs, 10, 5);
  EXPECT_EQ(s.segments, (std::vector<std::int64_t>{0, 2, 2, 4, 4, 5}));
  EXPECT_EQ(s.order, (std::vector<std::int64_t>{1, 4, 0, 2, 3}));
  for (std::int64_t c = 0; c < 5; ++c)
    for (std::int64_t k = s.segments[c]; k < s.segments[c + 1]; ++k) EXPECT_EQ(pairs[s.order[k]].candidate, 10 + c);
  EXPECT_THROW(amf::detail::candidate_segments(pairs, 11, 5), amf::Error);
}

}  // namespace
