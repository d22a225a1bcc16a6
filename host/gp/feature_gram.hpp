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

struct GatheredFeatures {
  // Per layer: the layer's signals, and inputs (Linear) or signals o xhat (LayerNorm); for
  // explicit embeddings a single "layer" of embeddings.
  std::vector<FactorisedLayer::Kind> kinds;
  std::vector<RowMatrix> left, right;  // Linear: (h, delta); LayerNorm: (delta o xhat, delta)
  bool embedding = false;
  Eigen::Index rows() const { return left.empty() ? 0 : left.front().rows(); }
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
