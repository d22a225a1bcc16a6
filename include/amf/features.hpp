#pragma once
// Covariance inputs for AMF-NN (DESIGN.md section 1): k(x, x') = phi(x) . phi(x') with phi the
// loss-gradient embedding of a network, handed over as plain views in two forms that add up:
//
// - explicit embeddings: one row per point (P x D), k += e . e' (small parameter groups such as
//   norm gains, or random projections of gradients);
// - the factorised form: per layer, the layer's inputs and the back-propagated signals at its
//   output, so no per-sample gradient is ever materialised:
//     Linear layer (weights and bias):  k += (delta . delta') (h . h' + 1)    (no bias: + 0)
//     Linear layer on a sequence of S tokens (per-sample gradient sum_s delta_s h_s^T, so the
//     kernel is a sum over token pairs):
//                                       k += sum_{s,t} (delta_s . delta'_t) (h_s . h'_t + 1)
//     LayerNorm with affine parameters: k += (delta o xhat) . (delta' o xhat') + delta . delta'
//   with h the layer input, delta the gradient of the sample's loss w.r.t. the layer output, xhat
//   the normalised input of the LayerNorm. Convolutions are Linear layers on their unfolded
//   patches, embeddings Linear layers without bias on one-hot tokens.
//
// A FeatureSet covers P points; every view in it has P rows (row-major, see view.hpp). Views may
// be float32 or float64, in host or CUDA memory (array_view.hpp); the functions below read host
// float64 and convert anything else first.
#include <cstdint>
#include <vector>

#include "amf/array_view.hpp"

namespace amf {

struct FactorisedLayer {
  enum class Kind { Linear, LayerNorm };
  Kind kind = Kind::Linear;
  ArrayView inputs;   // P x (tokens d_in): h (Linear) or xhat (LayerNorm, d_in = d_out)
  ArrayView signals;  // P x (tokens d_out): delta at the layer's output
  // Linear only: token s of a row at columns [s d, (s + 1) d) of inputs and signals; 1 for a
  // layer applied to one vector per point (a LayerNorm must have 1).
  std::int64_t tokens = 1;
  bool bias = true;  // Linear only: the layer has a bias, the "+ 1" of its term
};

struct FeatureSet {
  ArrayView embedding;                  // P x D explicit part, or empty
  std::vector<FactorisedLayer> layers;  // the factorised part, or empty; at least one is given

  std::int64_t points() const;
  bool has_embedding() const { return embedding.cols > 0; }
  // Throws amf::InvalidArgument naming `what` and the offending view (shape, NaN). Contents are
  // scanned for NaN in host views; a CUDA view's are checked where the device reads them.
  void validate(const char* what) const;
  // Whether any view lives in CUDA memory.
  bool on_device() const;
};

// k(A_i, B_j) for every row i of A and j of B: (A.points() x B.points()), row-major. Both sets
// must use the same form with matching widths.
std::vector<double> feature_gram(const FeatureSet& A, const FeatureSet& B);

// k(A_i, A_i) for every row i: the prior variances, without forming the Gram matrix (what a rule
// that sets sigma^2 on the kernel's scale reads). Every form: the explicit part, Linear layers
// with or without bias, on one vector or on token sequences (the sum over the row's own token
// pairs), LayerNorms.
std::vector<double> feature_diagonal(const FeatureSet& A);

}  // namespace amf
