#pragma once
// Gram blocks of the loss-gradient kernel between row subsets of FeatureSets: a few GEMMs and a
// Hadamard product per layer (the factorised form), or one GEMM (explicit embeddings). Rows are
// gathered once into dense per-layer blocks (Gathered), so a large side (the target points) is
// copied once per pass, not once per pair.
#include <cstdint>
#include <vector>

#include "amf/features.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// One term of the kernel over gathered rows. A product: k += left . left' (an explicit
// embedding, or one of a LayerNorm's two products delta o xhat and delta). A Linear layer:
// k += sum over token pairs (s, t) of (right_s . right'_t) (left_s . left'_t + bias), left the
// inputs h and right the signals delta, token s at columns [s width, (s + 1) width).
struct GatheredTerm {
  bool linear = false;
  RowMatrix left, right;  // right is empty for a product
  std::int64_t tokens = 1;
  double bias = 1.0;
  bool same_form(const GatheredTerm& o) const {
    return linear == o.linear && tokens == o.tokens && bias == o.bias && left.cols() == o.left.cols() &&
           right.cols() == o.right.cols();
  }
};

// A FeatureSet's rows as terms: the explicit embedding first (one product), then per layer a
// Linear term or a LayerNorm's two products, in layer order.
struct GatheredFeatures {
  std::vector<GatheredTerm> terms;
  Eigen::Index rows() const { return terms.empty() ? 0 : terms.front().left.rows(); }
  bool same_form(const GatheredFeatures& o) const;
};

// Rows that are not finite throw amf::InvalidArgument naming `what` (the problem's field).
GatheredFeatures gather_features(const FeatureSet& set, const std::vector<std::int64_t>& rows,
                                 const char* what = "features");

// Throws amf::InvalidArgument naming the first entry of row `row` of `set` that is not finite,
// or saying its kernel terms overflow when every entry is finite. The criterion checks the rows
// it reads as it reads them (packing, gathering, the targets' k(z, z)), not whole arrays upfront.
// FeatureSet::validate's checks; values = false checks the forms and shapes only (the criterion
// then checks the values of the rows it reads).
void validate_feature_set(const FeatureSet& set, const char* what, bool values);

[[noreturn]] void throw_nonfinite_feature_row(const FeatureSet& set, std::int64_t row, const char* what);

// k(A_r, B_s) for all gathered rows; A and B must come from sets of the same form and widths
// (InvalidArgument otherwise).
RowMatrix feature_gram(const GatheredFeatures& A, const GatheredFeatures& B);

// Convenience: gather both sides and take the Gram.
RowMatrix feature_gram(const FeatureSet& A, const std::vector<std::int64_t>& ia, const FeatureSet& B,
                       const std::vector<std::int64_t>& ib);

// The diagonal k(A[i], A[i]) for the rows ia (chunks of rows on `threads` workers).
// A row whose k(z, z) is not finite throws as throw_nonfinite_feature_row.
Eigen::VectorXd feature_diagonal(const FeatureSet& A, const std::vector<std::int64_t>& ia, int threads = 1,
                                 const char* what = "features");

}  // namespace detail
}  // namespace amf
