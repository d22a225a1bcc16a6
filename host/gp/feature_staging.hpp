#pragma once
// gather_features (gp/feature_gram.hpp) into one caller-owned buffer instead of a RowMatrix per
// block: how the CUDA backend fills its pinned staging for a chunk of candidate rows, in
// parallel over rows. Same terms, same blocks, same values, same checks
// (tests/test_feature_staging.cpp).
#include <cstdint>
#include <vector>

#include "amf/features.hpp"
#include "feature_gather.cuh"

namespace amf {
namespace detail {

// One term of GatheredFeatures without its rows: a product (an explicit embedding, or one of a
// LayerNorm's two products; right_width 0) or a Linear layer (left: inputs h, right: signals
// delta), on `tokens` tokens with or without a bias. Widths are per row over all tokens
// (tokens x one token's width), as the FeatureSet's views store them.
struct FeatureBlockTerm {
  bool linear = false;
  std::int64_t tokens = 1;
  double bias = 1.0;
  int left_width = 0, right_width = 0;
  bool operator==(const FeatureBlockTerm& o) const {
    return linear == o.linear && tokens == o.tokens && bias == o.bias && left_width == o.left_width &&
           right_width == o.right_width;
  }
  bool operator!=(const FeatureBlockTerm& o) const { return !(*this == o); }
};

// The blocks gather_features makes, in its order: the explicit embedding's term first, then per
// layer a Linear term or a LayerNorm's two products (delta o xhat, then delta); per term a left
// and a right block.
struct FeatureBlockLayout {
  std::vector<FeatureBlockTerm> terms;
  // Offset of block b (left of term t: b = 2 t, right: 2 t + 1) in a buffer of `rows` rows: the
  // blocks lie back to back, each row-major rows x width.
  std::int64_t block_offset(std::size_t b, std::int64_t rows) const;
  int block_width(std::size_t b) const { return b % 2 == 0 ? terms[b / 2].left_width : terms[b / 2].right_width; }
  std::size_t blocks() const { return 2 * terms.size(); }
  std::int64_t doubles_per_row() const;  // sum of all widths
  bool operator==(const FeatureBlockLayout& o) const { return terms == o.terms; }
  bool operator!=(const FeatureBlockLayout& o) const { return !(*this == o); }
};

FeatureBlockLayout feature_block_layout(const FeatureSet& set);

// Rows `rows` of `set` (count of them) into dest (count x doubles_per_row() doubles, laid out as
// block_offset says), with `threads` workers. Throws amf::InvalidArgument naming `what` for a
// row that is not finite, amf::Error for a row out of range.
void gather_features_into(const FeatureSet& set, const std::int64_t* rows, std::int64_t count, double* dest,
                          int threads, const char* what);

// What fills each block of feature_block_layout(set) (block b = 2 t + side), as
// tile::gathered_value reads it: the first source, and the second for a product (a LayerNorm's
// delta o xhat); both empty for a product term's unused right block. The device gather of
// features that live on a CUDA device (cuda/device_features.hpp) runs it; the CPU tests check it
// against gather_features_into.
struct GatherBlockSources {
  tile::GatherSource a, b;
};
std::vector<GatherBlockSources> gather_block_sources(const FeatureSet& set);

}  // namespace detail
}  // namespace amf
