#pragma once
// The loss-gradient kernel laid out for its GEMMs (CPU backend). A row set is packed into one
// row-major matrix: first a "plain" slab of the columns that enter k only through an inner
// product (an explicit embedding, every LayerNorm's delta o xhat and delta), then h and delta
// of each Linear layer. With S the slab and (H_l, D_l) the Linear layers,
//   k(A, B) = S_A S_B^T + sum_l (D_A,l D_B,l^T) o (H_A,l H_B,l^T + b_l),
// one GEMM for the slab and two per Linear layer, the Hadamard epilogue applied to a tile of
// A x B small enough to stay in cache, never to full per-layer blocks. A Linear layer on S
// tokens sums that over token pairs: per token of A, two GEMMs against all of B's tokens (B's
// tokens copied into token-major rows once per tile), so the scratch is S times the tile.
//
// The GEMM scalar S_ is float64 or float32 (GramPrecision); the tile k(A, B) and everything after
// it are always float64.
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "amf/features.hpp"

namespace amf {
namespace detail {

template <typename S>
using PackedRows = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct PackedLayout {
  struct Linear {
    Eigen::Index h, h_width, d, d_width;  // column offsets and widths (all tokens) of h and delta
    Eigen::Index tokens = 1;
    double bias = 1.0;  // 0 for a layer without bias
  };
  Eigen::Index width = 0;  // all columns
  Eigen::Index plain = 0;  // columns [0, plain) form the inner-product slab
  std::vector<Linear> linear;

  explicit PackedLayout(const FeatureSet& set);
  bool operator==(const PackedLayout& o) const;
};

// Packs rows[0..count) of `set` (row indices into its views) into out (count x layout.width),
// checking each packed row is finite (a row that is not throws amf::InvalidArgument naming the
// entry of `what`, the problem's field): the criterion validates the rows it reads as it packs
// them, while they are in cache, instead of scanning whole feature arrays upfront.
template <typename S>
void pack_rows(const FeatureSet& set, const PackedLayout& layout, const std::int64_t* rows, Eigen::Index count,
               PackedRows<S>& out, const char* what);


// Buffers of one thread for packed_gram (grown on demand, reused across calls).
template <typename S>
struct GramScratch {
  PackedRows<S> signal, input;
  PackedRows<S> token_inputs, token_signals;  // B's tokens, one per row (token layers)
};

// out(i, j) = k(A row a0 + i, B row b0 + j) for i < na, j < nb; out is row-major with leading
// dimension ldo.
template <typename S>
void packed_gram(const PackedLayout& layout, const PackedRows<S>& A, Eigen::Index a0, Eigen::Index na,
                 const PackedRows<S>& B, Eigen::Index b0, Eigen::Index nb, double* out, Eigen::Index ldo,
                 GramScratch<S>& scratch);

}  // namespace detail
}  // namespace amf
