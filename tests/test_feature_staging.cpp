// gather_features_into (the CUDA backend's pinned staging) against gather_features: the same
// terms, blocks and values for factorised layers (Linear and LayerNorm), Linear layers on token
// sequences and without bias, explicit embeddings and an embedding next to layers, for any
// thread count; features read back from the staged buffer by its layout (as FeatureStagingSlot
// labels the device copies) give the same Gram and fused-kernel terms; and the same errors for a
// non-finite or out-of-range row.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "amf/error.hpp"
#include "core/fused_terms.hpp"
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

// The staged buffer read back as GatheredFeatures, each term's form taken from the layout alone:
// what FeatureStagingSlot hands the Gram and the fused kernel.
amf::detail::GatheredFeatures from_staged(const amf::detail::FeatureBlockLayout& layout, const double* staged,
                                          std::int64_t count) {
  using amf::detail::RowMatrix;
  amf::detail::GatheredFeatures g;
  for (std::size_t t = 0; t < layout.terms.size(); ++t) {
    const amf::detail::FeatureBlockTerm& f = layout.terms[t];
    amf::detail::GatheredTerm term;
    term.linear = f.linear;
    term.tokens = f.tokens;
    term.bias = f.bias;
    term.left = Eigen::Map<const RowMatrix>(staged + layout.block_offset(2 * t, count), count, f.left_width);
    term.right = Eigen::Map<const RowMatrix>(staged + layout.block_offset(2 * t + 1, count), count, f.right_width);
    g.terms.push_back(std::move(term));
  }
  return g;
}

// Block b of a staged buffer equals gather_features' block, and each term has its form.
void expect_same_blocks(const amf::FeatureSet& set, const std::vector<std::int64_t>& rows, int threads) {
  const auto layout = amf::detail::feature_block_layout(set);
  const auto count = static_cast<std::int64_t>(rows.size());
  std::vector<double> staged(count * layout.doubles_per_row(), std::nan(""));
  amf::detail::gather_features_into(set, rows.data(), count, staged.data(), threads, "features");
  const amf::detail::GatheredFeatures g = amf::detail::gather_features(set, rows, "features");
  ASSERT_EQ(g.terms.size(), layout.terms.size());
  for (std::size_t t = 0; t < g.terms.size(); ++t) {
    const amf::detail::GatheredTerm& want = g.terms[t];
    const amf::detail::FeatureBlockTerm& form = layout.terms[t];
    EXPECT_EQ(form.linear, want.linear) << "term " << t;
    EXPECT_EQ(form.tokens, want.tokens) << "term " << t;
    EXPECT_EQ(form.bias, want.bias) << "term " << t;
    const amf::detail::RowMatrix* blocks[2] = {&want.left, &want.right};
    for (int side = 0; side < 2; ++side) {
      const amf::detail::RowMatrix& block = *blocks[side];
      const double* got = staged.data() + layout.block_offset(2 * t + side, count);
      ASSERT_EQ(block.cols(), side == 0 ? form.left_width : form.right_width);
      ASSERT_EQ(block.cols(), layout.block_width(2 * t + side));
      for (Eigen::Index r = 0; r < block.rows(); ++r)
        for (Eigen::Index c = 0; c < block.cols(); ++c)
          ASSERT_EQ(got[r * block.cols() + c], block(r, c)) << "term " << t << " side " << side << " row " << r;
    }
  }
}

// The staged features against every row of the set as targets: the same Gram, bit for bit, and
// the same fused-kernel terms (kinds, token counts, bias, widths) as gathered features give.
void expect_same_gram_and_terms(const amf::FeatureSet& set, const std::vector<std::int64_t>& rows, std::int64_t T) {
  const auto layout = amf::detail::feature_block_layout(set);
  const auto count = static_cast<std::int64_t>(rows.size());
  std::vector<double> staged(count * layout.doubles_per_row());
  amf::detail::gather_features_into(set, rows.data(), count, staged.data(), 2, "features");
  const amf::detail::GatheredFeatures X = from_staged(layout, staged.data(), count);
  const amf::detail::GatheredFeatures G = amf::detail::gather_features(set, rows, "features");
  std::vector<std::int64_t> all(set.points());
  for (std::int64_t r = 0; r < set.points(); ++r) all[r] = r;
  const amf::detail::GatheredFeatures Z = amf::detail::gather_features(set, all, "features");
  ASSERT_TRUE(X.same_form(Z));
  const amf::detail::RowMatrix want = amf::detail::feature_gram(G, Z), got = amf::detail::feature_gram(X, Z);
  ASSERT_EQ(got.rows(), want.rows());
  EXPECT_EQ((got - want).cwiseAbs().maxCoeff(), 0.0);
  const auto want_terms = amf::detail::fused_stream_terms(amf::detail::fused_layout(G, Z), T);
  const auto got_terms = amf::detail::fused_stream_terms(amf::detail::fused_layout(X, Z), T);
  ASSERT_EQ(got_terms.size(), want_terms.size());
  for (std::size_t t = 0; t < got_terms.size(); ++t) {
    EXPECT_EQ(got_terms[t].kind, want_terms[t].kind) << "term " << t;
    EXPECT_EQ(got_terms[t].tokens, want_terms[t].tokens) << "term " << t;
    EXPECT_EQ(got_terms[t].bias, want_terms[t].bias) << "term " << t;
    EXPECT_EQ(got_terms[t].first.width, want_terms[t].first.width) << "term " << t;
    EXPECT_EQ(got_terms[t].first.candidate_ld, want_terms[t].first.candidate_ld) << "term " << t;
    EXPECT_EQ(got_terms[t].second.width, want_terms[t].second.width) << "term " << t;
  }
}

// A transformer-like stack: an explicit part, a Linear layer on 3 tokens, a LayerNorm, a Linear
// layer on 4 tokens without bias, and a head on one vector.
Features mixed_with_tokens(std::int64_t points) {
  Features f;
  f.storage.reserve(16);
  std::mt19937 rng(11);
  f.set.embedding = {f.random(points * 5, rng), points, 5};
  struct Shape {
    FactorisedLayer::Kind kind;
    int in, out, tokens;
    bool bias;
  };
  const std::vector<Shape> layers{{FactorisedLayer::Kind::Linear, 4, 3, 3, true},
                                  {FactorisedLayer::Kind::LayerNorm, 6, 6, 1, true},
                                  {FactorisedLayer::Kind::Linear, 2, 5, 4, false},
                                  {FactorisedLayer::Kind::Linear, 6, 2, 1, true}};
  for (const Shape& l : layers) {
    const double* in = f.random(points * l.in * l.tokens, rng);
    const double* sig = f.random(points * l.out * l.tokens, rng);
    FactorisedLayer layer{l.kind, {in, points, l.in * l.tokens}, {sig, points, l.out * l.tokens}};
    layer.tokens = l.tokens;
    layer.bias = l.bias;
    f.set.layers.push_back(layer);
  }
  return f;
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

TEST(FeatureStaging, TokenLayersAndMixedEmbeddingMatchGatherFeatures) {
  const Features f = mixed_with_tokens(90);
  const auto layout = amf::detail::feature_block_layout(f.set);
  // embedding, Linear on 3 tokens, LayerNorm's two products, bias-free Linear on 4 tokens, head
  ASSERT_EQ(layout.terms.size(), 6u);
  EXPECT_FALSE(layout.terms[0].linear);
  EXPECT_EQ(layout.terms[0].left_width, 5);
  EXPECT_EQ(layout.terms[0].right_width, 0);
  EXPECT_TRUE(layout.terms[1].linear);
  EXPECT_EQ(layout.terms[1].tokens, 3);
  EXPECT_EQ(layout.terms[1].left_width, 3 * 4);  // a row's doubles: tokens x width per factor
  EXPECT_EQ(layout.terms[1].right_width, 3 * 3);
  EXPECT_FALSE(layout.terms[2].linear);
  EXPECT_FALSE(layout.terms[3].linear);
  EXPECT_EQ(layout.terms[4].tokens, 4);
  EXPECT_EQ(layout.terms[4].bias, 0.0);
  EXPECT_EQ(layout.terms[4].left_width, 4 * 2);
  EXPECT_EQ(layout.terms[4].right_width, 4 * 5);
  EXPECT_EQ(layout.terms[5].tokens, 1);
  EXPECT_EQ(layout.doubles_per_row(), 5 + (12 + 9) + 6 + 6 + (8 + 20) + (6 + 2));
  std::vector<std::int64_t> rows;
  for (std::int64_t r = 0; r < 130; ++r) rows.push_back((r * 53) % 90);  // more than two row groups
  for (int threads : {1, 4}) expect_same_blocks(f.set, rows, threads);
}

TEST(FeatureStaging, StagedTokenFeaturesGiveTheSameGramAndKernelTerms) {
  const Features f = mixed_with_tokens(40);
  const std::vector<std::int64_t> rows{3, 4, 5, 17, 18, 19, 0, 1, 2};  // three pairs of T = 3 rows
  expect_same_gram_and_terms(f.set, rows, 3);
  expect_same_gram_and_terms(factorised(40).set, rows, 3);
}

TEST(FeatureStaging, LayoutsOfDifferentTermsDiffer) {
  const Features a = mixed_with_tokens(10);
  Features b = mixed_with_tokens(10);
  EXPECT_EQ(amf::detail::feature_block_layout(a.set), amf::detail::feature_block_layout(b.set));
  b.set.layers[2].bias = true;
  EXPECT_NE(amf::detail::feature_block_layout(a.set), amf::detail::feature_block_layout(b.set));
  b = mixed_with_tokens(10);
  b.set.layers[0].tokens = 1;  // the same widths, read as one vector
  EXPECT_NE(amf::detail::feature_block_layout(a.set), amf::detail::feature_block_layout(b.set));
  b = mixed_with_tokens(10);
  b.set.layers[1].inputs.cols = 5;  // a LayerNorm's product is formed in place: widths must agree
  EXPECT_THROW(amf::detail::feature_block_layout(b.set), amf::InvalidArgument);
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
