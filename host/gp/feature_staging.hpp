#pragma once
// gather_features (gp/feature_gram.hpp) into one caller-owned buffer instead of a RowMatrix per
// block: how the CUDA backend fills its pinned staging for a chunk of candidate rows, in
// parallel over rows. Same blocks, same values, same checks (tests/test_feature_staging.cpp).
#include <cstdint>
#include <vector>

#include "amf/features.hpp"

namespace amf {
namespace detail {

// The blocks gather_features makes, in its order: per layer left then right (Linear: inputs,
// signals; LayerNorm: signals o inputs, signals); explicit embeddings: one left block, a right
// block of width 0.
struct FeatureBlockLayout {
  std::vector<FactorisedLayer::Kind> kinds;
  bool embedding = false;
  std::vector<int> left_width, right_width;
  // Offset of block b (left of layer l: b = 2 l, right: 2 l + 1) in a buffer of `rows` rows: the
  // blocks lie back to back, each row-major rows x width.
  std::int64_t block_offset(std::size_t b, std::int64_t rows) const;
  std::int64_t doubles_per_row() const;  // sum of all widths
};

FeatureBlockLayout feature_block_layout(const FeatureSet& set);

// Rows `rows` of `set` (count of them) into dest (count x doubles_per_row() doubles, laid out as
// block_offset says), with `threads` workers. Throws amf::InvalidArgument naming `what` for a
// row that is not finite, amf::Error for a row out of range.
void gather_features_into(const FeatureSet& set, const std::int64_t* rows, std::int64_t count, double* dest,
                          int threads, const char* what);

}  // namespace detail
}  // namespace amf
