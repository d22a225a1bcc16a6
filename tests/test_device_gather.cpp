// The device gather of candidate features that already live on a CUDA device: its element rule
// (tile::gathered_value, the code the kernel runs) over its block sources (gather_block_sources,
// what the session launches per block) reproduces the host gather (gather_features_into) of the
// same rows bit for bit, for float32 and float64 sources, strided rows, LayerNorm products and
// token sequences. The kernel adds only the loop; it runs on a device in the gpu tests.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>
#include <vector>

#include "gp/feature_staging.hpp"

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

TEST(DeviceGather, BlockSourcesAndTheElementRuleReproduceTheHostGather) {
  std::mt19937 rng(4);
  std::normal_distribution<double> g;
  const auto random = [&](Eigen::Index r, Eigen::Index c) {
    Mat m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
    return m;
  };
  const int P = 9;
  // The caller's arrays: an explicit part in float32, a LayerNorm in float64, a Linear layer on
  // 2 tokens in float32 whose inputs sit in a wider, strided array.
  const MatF embedding = random(P, 3).cast<float>();
  const Mat xhat = random(P, 4), delta_ln = random(P, 4);
  const MatF wide_inputs = random(P, 2 * 5 + 3).cast<float>(), signals = random(P, 2 * 2).cast<float>();
  using K = amf::FactorisedLayer::Kind;
  amf::FeatureSet set;
  set.embedding = amf::MatrixView<float>(embedding.data(), P, 3);
  set.layers = {{K::LayerNorm, amf::MatrixView<double>(xhat.data(), P, 4), amf::MatrixView<double>(delta_ln.data(), P, 4)},
                {K::Linear, amf::ArrayView(wide_inputs.data(), P, 10, 13), amf::MatrixView<float>(signals.data(), P, 4), 2,
                 true}};
  // The host gather reads host float64: the same values, widened.
  const Mat emb64 = embedding.cast<double>(), in64 = wide_inputs.leftCols(10).cast<double>(),
            sig64 = signals.cast<double>();
  amf::FeatureSet host = set;
  host.embedding = amf::MatrixView<double>(emb64.data(), P, 3);
  host.layers[1].inputs = amf::MatrixView<double>(in64.data(), P, 10);
  host.layers[1].signals = amf::MatrixView<double>(sig64.data(), P, 4);

  const std::vector<std::int64_t> rows{7, 0, 3, 3, 8};
  const auto count = static_cast<std::int64_t>(rows.size());
  const amf::detail::FeatureBlockLayout layout = amf::detail::feature_block_layout(set);
  ASSERT_EQ(layout, amf::detail::feature_block_layout(host));
  std::vector<double> expected(static_cast<std::size_t>(count * layout.doubles_per_row()));
  amf::detail::gather_features_into(host, rows.data(), count, expected.data(), 1, "host");

  const auto sources = amf::detail::gather_block_sources(set);
  ASSERT_EQ(sources.size(), layout.blocks());
  std::vector<double> got(expected.size(), -1.0);
  for (std::size_t b = 0; b < layout.blocks(); ++b) {
    const int width = layout.block_width(b);
    ASSERT_EQ(width == 0, sources[b].a.data == nullptr) << "block " << b;
    double* to = got.data() + layout.block_offset(b, count);
    for (std::int64_t i = 0; i < count; ++i)
      for (int c = 0; c < width; ++c) to[i * width + c] = amf::tile::gathered_value(sources[b].a, sources[b].b, rows.data(), i, c);
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
