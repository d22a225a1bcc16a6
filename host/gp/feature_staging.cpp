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
  for (std::size_t k = 0; k < b; ++k) before += k % 2 == 0 ? left_width[k / 2] : right_width[k / 2];
  return before * rows;
}

std::int64_t FeatureBlockLayout::doubles_per_row() const {
  std::int64_t w = 0;
  for (std::size_t l = 0; l < left_width.size(); ++l) w += left_width[l] + right_width[l];
  return w;
}

FeatureBlockLayout feature_block_layout(const FeatureSet& set) {
  FeatureBlockLayout f;
  if (set.layers.empty()) {
    f.embedding = true;
    f.kinds.push_back(FactorisedLayer::Kind::Linear);
    f.left_width.push_back(static_cast<int>(set.embedding.cols));
    f.right_width.push_back(0);
    return f;
  }
  for (const auto& layer : set.layers) {
    f.kinds.push_back(layer.kind);
    f.left_width.push_back(static_cast<int>(layer.inputs.cols));
    f.right_width.push_back(static_cast<int>(layer.signals.cols));
  }
  return f;
}

void gather_features_into(const FeatureSet& set, const std::int64_t* rows, std::int64_t count, double* dest,
                          int threads, const char* what) {
  const FeatureBlockLayout f = feature_block_layout(set);
  std::vector<double*> block;
  for (std::size_t b = 0; b < 2 * f.left_width.size(); ++b) block.push_back(dest + f.block_offset(b, count));
  auto copy_row = [](const MatrixView<double>& m, std::int64_t r, double* to) {
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
      bool finite = true;
      if (f.embedding) finite = copy_row(set.embedding, r, block[0] + i * f.left_width[0]);
      for (std::size_t l = 0; l < set.layers.size(); ++l) {
        const FactorisedLayer& layer = set.layers[l];
        double* left = block[2 * l] + i * f.left_width[l];
        double* right = block[2 * l + 1] + i * f.right_width[l];
        finite = copy_row(layer.inputs, r, left) && finite;
        finite = copy_row(layer.signals, r, right) && finite;
        if (layer.kind == FactorisedLayer::Kind::LayerNorm)  // delta o xhat, as gather_features
          for (int c = 0; c < f.left_width[l]; ++c) left[c] *= right[c];
      }
      if (!finite) throw_nonfinite_feature_row(set, r, what);
    }
  });
}

}  // namespace detail
}  // namespace amf
