// gather_features_into (the CUDA backend's pinned staging) against gather_features: the same
// blocks and values for factorised layers (Linear and LayerNorm) and explicit embeddings, for any
// thread count, and the same errors for a non-finite or out-of-range row.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "amf/error.hpp"
#include "gp/feature_gram.hpp"
#include "gp/feature_staging.hpp"

namespace {

using amf::FactorisedLayer;

struct Features {
  std::vector<std::vector<double>> storage;
  amf::FeatureSet set;
  const double* random(std::int64_t count, std::mt19937& rng) {
    std::normal_distribution<double> g;
    storage.emplace_back(count);
    for (double& x : storage.back()) x = g(rng);
    return storage.back().data();
  }
};

Features factorised(std::int64_t points) {
  Features f;
  f.storage.reserve(8);
  std::mt19937 rng(5);
  const std::vector<std::pair<FactorisedLayer::Kind, std::pair<int, int>>> layers{
      {FactorisedLayer::Kind::Linear, {3, 6}}, {FactorisedLayer::Kind::LayerNorm, {6, 6}},
      {FactorisedLayer::Kind::Linear, {6, 2}}};
  for (const auto& [kind, widths] : layers) {
    const double* in = f.random(points * widths.first, rng);
    const double* sig = f.random(points * widths.second, rng);
    f.set.layers.push_back({kind, {in, points, widths.first}, {sig, points, widths.second}});
  }
  return f;
}

// Block b of a staged buffer equals gather_features' block.
void expect_same_blocks(const amf::FeatureSet& set, const std::vector<std::int64_t>& rows, int threads) {
  const auto layout = amf::detail::feature_block_layout(set);
  const auto count = static_cast<std::int64_t>(rows.size());
  std::vector<double> staged(count * layout.doubles_per_row(), std::nan(""));
  amf::detail::gather_features_into(set, rows.data(), count, staged.data(), threads, "features");
  const amf::detail::GatheredFeatures g = amf::detail::gather_features(set, rows, "features");
  ASSERT_EQ(g.left.size(), layout.left_width.size());
  EXPECT_EQ(g.kinds, layout.kinds);
  EXPECT_EQ(g.embedding, layout.embedding);
  for (std::size_t l = 0; l < g.left.size(); ++l) {
    const amf::detail::RowMatrix* blocks[2] = {&g.left[l], &g.right[l]};
    for (int side = 0; side < 2; ++side) {
      const amf::detail::RowMatrix& want = *blocks[side];
      const double* got = staged.data() + layout.block_offset(2 * l + side, count);
      ASSERT_EQ(want.cols(), side == 0 ? layout.left_width[l] : layout.right_width[l]);
      for (Eigen::Index r = 0; r < want.rows(); ++r)
        for (Eigen::Index c = 0; c < want.cols(); ++c)
          ASSERT_EQ(got[r * want.cols() + c], want(r, c)) << "layer " << l << " side " << side << " row " << r;
    }
  }
}

TEST(FeatureStaging, FactorisedLayersMatchGatherFeatures) {
  const Features f = factorised(300);
  std::vector<std::int64_t> rows;
  for (std::int64_t r = 0; r < 200; ++r) rows.push_back((r * 37) % 300);  // repeats and any order
  for (int threads : {1, 3}) expect_same_blocks(f.set, rows, threads);
}

TEST(FeatureStaging, EmbeddingsMatchGatherFeatures) {
  Features f;
  std::mt19937 rng(2);
  const double* e = f.random(50 * 7, rng);
  f.set.embedding = {e, 50, 7};
  expect_same_blocks(f.set, {49, 0, 3, 3, 20}, 2);
}

TEST(FeatureStaging, NonFiniteAndOutOfRangeRowsThrow) {
  Features f = factorised(20);
  f.storage[3][5 * 6 + 2] = std::numeric_limits<double>::infinity();  // LayerNorm signals, row 5
  std::vector<double> dest(4 * amf::detail::feature_block_layout(f.set).doubles_per_row());
  const std::vector<std::int64_t> with_bad{1, 2, 5, 7}, out_of_range{1, 20, 2, 3};
  EXPECT_THROW(amf::detail::gather_features_into(f.set, with_bad.data(), 4, dest.data(), 2, "candidate_features"),
               amf::InvalidArgument);
  EXPECT_THROW(amf::detail::gather_features_into(f.set, out_of_range.data(), 4, dest.data(), 1, "candidate_features"),
               amf::Error);
}

}  // namespace
