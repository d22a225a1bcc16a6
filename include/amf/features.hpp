#pragma once
// Covariance inputs for AMF-NN (DESIGN.md section 1): k(x, x') = phi(x) . phi(x') with phi the
// loss-gradient embedding of a network, handed over as plain views in one of two forms:
//
// - explicit embeddings: one row per point (P x D);
// - the factorised form of an MLP: per layer, the layer's inputs and the back-propagated signals
//   at its output, so no per-sample gradient is ever materialised:
//     Linear layer (weights and bias):  k += (delta . delta') (h . h' + 1)
//     LayerNorm with affine parameters: k += (delta o xhat) . (delta' o xhat') + delta . delta'
//   with h the layer input, delta the gradient of the sample's loss w.r.t. the layer output, xhat
//   the normalised input of the LayerNorm.
//
// A FeatureSet covers P points; every view in it has P rows (row-major, see view.hpp).
#include <cstdint>
#include <vector>

#include "amf/view.hpp"

namespace amf {

struct FactorisedLayer {
  enum class Kind { Linear, LayerNorm };
  Kind kind = Kind::Linear;
  MatrixView<double> inputs;   // P x d_in: h (Linear) or xhat (LayerNorm, d_in = d_out)
  MatrixView<double> signals;  // P x d_out: delta at the layer's output
};

struct FeatureSet {
  MatrixView<double> embedding;         // P x D, or empty when `layers` is used
  std::vector<FactorisedLayer> layers;  // the factorised form, or empty

  std::int64_t points() const;
  // Throws amf::InvalidArgument naming `what` and the offending view (shape, NaN).
  void validate(const char* what) const;
};

// k(A_i, B_j) for every row i of A and j of B: (A.points() x B.points()), row-major. Both sets
// must use the same form with matching widths.
std::vector<double> feature_gram(const FeatureSet& A, const FeatureSet& B);

// k(A_i, A_i) for every row i: the prior variances, without forming the Gram matrix (what a rule
// that sets sigma^2 on the kernel's scale reads).
std::vector<double> feature_diagonal(const FeatureSet& A);

}  // namespace amf
