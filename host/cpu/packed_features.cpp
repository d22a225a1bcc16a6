#include "cpu/packed_features.hpp"

#include <type_traits>

#include "amf/error.hpp"
#include "gp/feature_gram.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

using Kind = FactorisedLayer::Kind;

template <typename S>
using Tile = Eigen::Map<PackedRows<S>, 0, Eigen::OuterStride<>>;

}  // namespace

PackedLayout::PackedLayout(const FeatureSet& set) {
  if (set.has_embedding()) plain = set.embedding.cols;
  for (const auto& layer : set.layers)
    if (layer.kind == Kind::LayerNorm) plain += layer.inputs.cols + layer.signals.cols;
  width = plain;
  for (const auto& layer : set.layers) {
    if (layer.kind != Kind::Linear) continue;
    linear.push_back({width, layer.inputs.cols, width + layer.inputs.cols, layer.signals.cols, layer.tokens,
                      layer.bias ? 1.0 : 0.0});
    width += layer.inputs.cols + layer.signals.cols;
  }
}

bool PackedLayout::operator==(const PackedLayout& o) const {
  if (width != o.width || plain != o.plain || linear.size() != o.linear.size()) return false;
  for (std::size_t l = 0; l < linear.size(); ++l)
    if (linear[l].h_width != o.linear[l].h_width || linear[l].d_width != o.linear[l].d_width ||
        linear[l].tokens != o.linear[l].tokens || linear[l].bias != o.linear[l].bias)
      return false;
  return true;
}

// One row of `set` in the packed layout.
template <typename S>
void pack_row(const FeatureSet& set, std::int64_t row, S* dst) {
  auto copy = [&](const ArrayView& view) {
    const MatrixView<double> m = view.host_matrix("features");
    for (std::int64_t c = 0; c < m.cols; ++c) *dst++ = static_cast<S>(m(row, c));
  };
  if (set.has_embedding()) copy(set.embedding);
  for (const auto& layer : set.layers) {  // the slab: delta o xhat, then delta, per LayerNorm
    if (layer.kind != Kind::LayerNorm) continue;
    const MatrixView<double> signals = layer.signals.host_matrix("features"), inputs = layer.inputs.host_matrix("features");
    for (std::int64_t c = 0; c < signals.cols; ++c) *dst++ = static_cast<S>(signals(row, c) * inputs(row, c));
    copy(layer.signals);
  }
  for (const auto& layer : set.layers) {
    if (layer.kind != Kind::Linear) continue;
    copy(layer.inputs);
    copy(layer.signals);
  }
}

template <typename S>
void pack_rows(const FeatureSet& set, const PackedLayout& layout, const std::int64_t* rows, Eigen::Index count,
               PackedRows<S>& out, const char* what) {
  out.resize(count, layout.width);
  for (Eigen::Index r = 0; r < count; ++r) {
    pack_row(set, rows[r], out.row(r).data());
    if (!out.row(r).allFinite()) throw_nonfinite_feature_row(set, rows[r], what);
  }
}

// out(i, j) += sum over token pairs (u, v) of (delta_u . delta'_v) (h_u . h'_v + b) for a Linear
// layer on l.tokens tokens. B's tokens are copied once into token-major rows (row j S + v), so
// each token u of A needs one GEMM per factor against all of them, and the epilogue sums over v.
template <typename S>
void token_linear_gram(const PackedLayout::Linear& l, const PackedRows<S>& A, Eigen::Index a0, Eigen::Index na,
                       const PackedRows<S>& B, Eigen::Index b0, Eigen::Index nb, double* out, Eigen::Index ldo,
                       GramScratch<S>& scratch) {
  const Eigen::Index T = l.tokens, din = l.h_width / T, dout = l.d_width / T;
  scratch.token_inputs.resize(nb * T, din);
  scratch.token_signals.resize(nb * T, dout);
  for (Eigen::Index j = 0; j < nb; ++j)
    for (Eigen::Index v = 0; v < T; ++v) {
      scratch.token_inputs.row(j * T + v) = B.row(b0 + j).segment(l.h + v * din, din);
      scratch.token_signals.row(j * T + v) = B.row(b0 + j).segment(l.d + v * dout, dout);
    }
  scratch.signal.resize(na, nb * T);
  scratch.input.resize(na, nb * T);
  for (Eigen::Index u = 0; u < T; ++u) {
    scratch.signal.noalias() = A.block(a0, l.d + u * dout, na, dout) * scratch.token_signals.transpose();
    scratch.input.noalias() = A.block(a0, l.h + u * din, na, din) * scratch.token_inputs.transpose();
    for (Eigen::Index i = 0; i < na; ++i) {
      const S* s = scratch.signal.row(i).data();
      const S* h = scratch.input.row(i).data();
      double* k = out + i * ldo;
      for (Eigen::Index j = 0; j < nb; ++j) {
        double sum = 0.0;
        for (Eigen::Index v = 0; v < T; ++v)
          sum += tile::linear_layer_term(static_cast<double>(s[j * T + v]), static_cast<double>(h[j * T + v]), l.bias);
        k[j] += sum;
      }
    }
  }
}

template <typename S>
void packed_gram(const PackedLayout& layout, const PackedRows<S>& A, Eigen::Index a0, Eigen::Index na,
                 const PackedRows<S>& B, Eigen::Index b0, Eigen::Index nb, double* out, Eigen::Index ldo,
                 GramScratch<S>& scratch) {
  Tile<double> K(out, na, nb, Eigen::OuterStride<>(ldo));
  auto cols = [&](const PackedRows<S>& M, Eigen::Index r0, Eigen::Index rows, Eigen::Index c0, Eigen::Index width) {
    return M.block(r0, c0, rows, width);
  };
  if (layout.plain == 0) {
    K.setZero();
  } else if constexpr (std::is_same_v<S, double>) {
    K.noalias() = cols(A, a0, na, 0, layout.plain) * cols(B, b0, nb, 0, layout.plain).transpose();
  } else {
    scratch.signal.resize(na, nb);
    scratch.signal.noalias() = cols(A, a0, na, 0, layout.plain) * cols(B, b0, nb, 0, layout.plain).transpose();
    K = scratch.signal.template cast<double>();
  }
  for (const auto& l : layout.linear) {  // (delta . delta') (h . h' + b): weights and bias
    if (l.tokens > 1) {
      token_linear_gram(l, A, a0, na, B, b0, nb, out, ldo, scratch);
      continue;
    }
    scratch.signal.resize(na, nb);
    scratch.input.resize(na, nb);
    scratch.signal.noalias() = cols(A, a0, na, l.d, l.d_width) * cols(B, b0, nb, l.d, l.d_width).transpose();
    scratch.input.noalias() = cols(A, a0, na, l.h, l.h_width) * cols(B, b0, nb, l.h, l.h_width).transpose();
    for (Eigen::Index i = 0; i < na; ++i) {
      const S* s = scratch.signal.row(i).data();
      const S* h = scratch.input.row(i).data();
      double* k = out + i * ldo;
      for (Eigen::Index j = 0; j < nb; ++j)
        k[j] += tile::linear_layer_term(static_cast<double>(s[j]), static_cast<double>(h[j]), l.bias);
    }
  }
}

template void pack_rows<double>(const FeatureSet&, const PackedLayout&, const std::int64_t*, Eigen::Index,
                                PackedRows<double>&, const char*);
template void pack_rows<float>(const FeatureSet&, const PackedLayout&, const std::int64_t*, Eigen::Index,
                               PackedRows<float>&, const char*);
template void packed_gram<double>(const PackedLayout&, const PackedRows<double>&, Eigen::Index, Eigen::Index,
                                  const PackedRows<double>&, Eigen::Index, Eigen::Index, double*, Eigen::Index,
                                  GramScratch<double>&);
template void packed_gram<float>(const PackedLayout&, const PackedRows<float>&, Eigen::Index, Eigen::Index,
                                 const PackedRows<float>&, Eigen::Index, Eigen::Index, double*, Eigen::Index,
                                 GramScratch<float>&);

}  // namespace detail
}  // namespace amf
