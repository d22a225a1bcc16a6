#include "gp/feature_staging.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "gp/feature_gram.hpp"
#include "prep/parallel.hpp"

namespace amf {
namespace detail {

std::int64_t FeatureBlockLayout::block_offset(std::size_t b, std::int64_t rows) const {
  std::int64_t before = 0;
  for (std::size_t k = 0; k < b; ++k) before += block_width(k);
  return before * rows;
}

std::int64_t FeatureBlockLayout::doubles_per_row() const {
  std::int64_t w = 0;
  for (const FeatureBlockTerm& t : terms) w += t.left_width + t.right_width;
  return w;
}

FeatureBlockLayout feature_block_layout(const FeatureSet& set) {
  FeatureBlockLayout f;
  auto product = [&](std::int64_t width) { f.terms.push_back({false, 1, 1.0, static_cast<int>(width), 0}); };
  if (set.has_embedding()) product(set.embedding.cols);
  for (const auto& layer : set.layers) {
    if (layer.kind == FactorisedLayer::Kind::LayerNorm) {  // delta o xhat, then delta
      // The product is formed in place in the first block: a width mismatch would write past it.
      if (layer.inputs.cols != layer.signals.cols)
        throw InvalidArgument("feature_block_layout: a LayerNorm's inputs (" + std::to_string(layer.inputs.cols) +
                              " columns) and signals (" + std::to_string(layer.signals.cols) + ") differ in width");
      product(layer.inputs.cols);
      product(layer.signals.cols);
      continue;
    }
    f.terms.push_back({true, layer.tokens, layer.bias ? 1.0 : 0.0, static_cast<int>(layer.inputs.cols),
                       static_cast<int>(layer.signals.cols)});
  }
  return f;
}

namespace {

tile::GatherSource source_of(const ArrayView& v) { return {v.data, v.row_stride, v.type == ElementType::Float32}; }

}  // namespace

std::vector<GatherBlockSources> gather_block_sources(const FeatureSet& set) {
  std::vector<GatherBlockSources> blocks;
  const tile::GatherSource none{};
  if (set.has_embedding()) {
    blocks.push_back({source_of(set.embedding), none});
    blocks.push_back({none, none});
  }
  for (const FactorisedLayer& layer : set.layers) {
    if (layer.kind == FactorisedLayer::Kind::LayerNorm) {  // delta o xhat, then delta
      blocks.push_back({source_of(layer.signals), source_of(layer.inputs)});
      blocks.push_back({none, none});
      blocks.push_back({source_of(layer.signals), none});
      blocks.push_back({none, none});
      continue;
    }
    blocks.push_back({source_of(layer.inputs), none});
    blocks.push_back({source_of(layer.signals), none});
  }
  return blocks;
}

void gather_features_into(const FeatureSet& set, const std::int64_t* rows, std::int64_t count, double* dest,
                          int threads, const char* what) {
  const FeatureBlockLayout f = feature_block_layout(set);
  std::vector<double*> block;
  for (std::size_t b = 0; b < f.blocks(); ++b) block.push_back(dest + f.block_offset(b, count));
  auto copy_row = [what](const ArrayView& view, std::int64_t r, double* to) {
    const MatrixView<double> m = view.host_matrix(what);
    if (r < 0 || r >= m.rows)
      throw Error("gather_features_into: row " + std::to_string(r) + " of a " + std::to_string(m.rows) +
                  "-row feature matrix");
    const double* from = m.row(r);
    bool finite = true;
    for (std::int64_t c = 0; c < m.cols; ++c) finite = finite && std::isfinite(from[c]);
    std::copy_n(from, m.cols, to);
    return finite;
  };
  // Rows in groups, so each worker writes long runs of every block.
  constexpr std::int64_t kGroup = 64;
  parallel_for((count + kGroup - 1) / kGroup, threads, [&](std::int64_t g) {
    for (std::int64_t i = g * kGroup; i < std::min(count, (g + 1) * kGroup); ++i) {
      const std::int64_t r = rows[i];
      // Row i of term t's left and right blocks.
      auto left = [&](std::size_t t) { return block[2 * t] + i * f.terms[t].left_width; };
      auto right = [&](std::size_t t) { return block[2 * t + 1] + i * f.terms[t].right_width; };
      bool finite = true;
      std::size_t t = 0;
      if (set.has_embedding()) finite = copy_row(set.embedding, r, left(t++));
      for (const FactorisedLayer& layer : set.layers) {
        if (layer.kind == FactorisedLayer::Kind::LayerNorm) {  // delta o xhat and delta, as gather_features
          double *product = left(t), *signals = left(t + 1);
          finite = copy_row(layer.inputs, r, product) && finite;
          finite = copy_row(layer.signals, r, signals) && finite;
          for (int c = 0; c < f.terms[t].left_width; ++c) product[c] *= signals[c];
          t += 2;
          continue;
        }
        finite = copy_row(layer.inputs, r, left(t)) && finite;  // every token's columns, as stored
        finite = copy_row(layer.signals, r, right(t)) && finite;
        ++t;
      }
      if (!finite) throw_nonfinite_feature_row(set, r, what);
    }
  });
}

}  // namespace detail
}  // namespace amf
