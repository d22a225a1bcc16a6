#include "gp/feature_gram.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "prep/parallel.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

RowMatrix gather(const ArrayView& view, const std::vector<std::int64_t>& rows) {
  const MatrixView<double> m = view.host_matrix("features");
  RowMatrix out(static_cast<Eigen::Index>(rows.size()), m.cols);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    // Internal callers pass validated rows; a bad one would read past the caller's array.
    if (rows[r] < 0 || rows[r] >= m.rows)
      throw Error("gather_features: row " + std::to_string(rows[r]) + " of a " + std::to_string(m.rows) +
                  "-row feature matrix");
    for (std::int64_t c = 0; c < m.cols; ++c) out(static_cast<Eigen::Index>(r), c) = m(rows[r], c);
  }
  return out;
}

}  // namespace

bool GatheredFeatures::same_form(const GatheredFeatures& o) const {
  if (terms.size() != o.terms.size()) return false;
  for (std::size_t t = 0; t < terms.size(); ++t)
    if (!terms[t].same_form(o.terms[t])) return false;
  return true;
}

GatheredFeatures gather_features(const FeatureSet& set, const std::vector<std::int64_t>& rows, const char* what) {
  GatheredFeatures g;
  for (const std::int64_t r : rows) {
    bool finite = true;
    auto check = [&](const ArrayView& view) {
      const MatrixView<double> m = view.host_matrix(what);
      if (r >= 0 && r < m.rows) finite = finite && Eigen::Map<const Eigen::ArrayXd>(m.row(r), m.cols).allFinite();
    };
    if (set.has_embedding()) check(set.embedding);
    for (const auto& layer : set.layers) {
      check(layer.inputs);
      check(layer.signals);
    }
    if (!finite) throw_nonfinite_feature_row(set, r, what);
  }
  auto product = [&](RowMatrix m) {
    GatheredTerm t;
    t.left = std::move(m);
    g.terms.push_back(std::move(t));
  };
  if (set.has_embedding()) product(gather(set.embedding, rows));
  for (const auto& layer : set.layers) {
    RowMatrix signals = gather(layer.signals, rows), inputs = gather(layer.inputs, rows);
    if (layer.kind == FactorisedLayer::Kind::LayerNorm) {
      product(signals.cwiseProduct(inputs));
      product(std::move(signals));
      continue;
    }
    GatheredTerm t;
    t.linear = true;
    t.left = std::move(inputs);
    t.right = std::move(signals);
    t.tokens = layer.tokens;
    t.bias = layer.bias ? 1.0 : 0.0;
    g.terms.push_back(std::move(t));
  }
  return g;
}

namespace {

// K += the Linear term of `a` and `b` (same form): per token pair (s, t) two GEMMs over the
// token's columns and the epilogue s (h + bias), so only |A| x |B| scratch blocks are formed.
void add_linear_term(const GatheredTerm& a, const GatheredTerm& b, RowMatrix& K) {
  const Eigen::Index S = a.tokens, din = a.left.cols() / S, dout = a.right.cols() / S;
  RowMatrix s(K.rows(), K.cols()), h(K.rows(), K.cols());
  for (Eigen::Index u = 0; u < S; ++u)
    for (Eigen::Index v = 0; v < S; ++v) {
      s.noalias() = a.right.middleCols(u * dout, dout) * b.right.middleCols(v * dout, dout).transpose();
      h.noalias() = a.left.middleCols(u * din, din) * b.left.middleCols(v * din, din).transpose();
      K.array() += s.array().binaryExpr(h.array(), [bias = a.bias](double x, double y) {
        return tile::linear_layer_term(x, y, bias);
      });
    }
}

}  // namespace

RowMatrix feature_gram(const GatheredFeatures& A, const GatheredFeatures& B) {
  if (!A.same_form(B)) throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  RowMatrix K = RowMatrix::Zero(A.rows(), B.rows());
  for (std::size_t t = 0; t < A.terms.size(); ++t) {
    if (A.terms[t].linear)
      add_linear_term(A.terms[t], B.terms[t], K);
    else
      K.noalias() += A.terms[t].left * B.terms[t].left.transpose();
  }
  return K;
}

RowMatrix feature_gram(const FeatureSet& A, const std::vector<std::int64_t>& ia, const FeatureSet& B,
                       const std::vector<std::int64_t>& ib) {
  return feature_gram(gather_features(A, ia), gather_features(B, ib));
}

Eigen::VectorXd feature_diagonal(const FeatureSet& A, const std::vector<std::int64_t>& ia, int threads,
                                 const char* what) {
  Eigen::VectorXd d = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(ia.size()));
  auto sq = [what](const ArrayView& view, std::int64_t r) {
    const MatrixView<double> m = view.host_matrix(what);
    return Eigen::Map<const Eigen::ArrayXd>(m.row(r), m.cols).square().sum();
  };
  auto entry = [&](std::int64_t r) {
    double k = A.has_embedding() ? sq(A.embedding, r) : 0.0;
    for (const auto& layer : A.layers) {
      const MatrixView<double> signals = layer.signals.host_matrix(what), inputs = layer.inputs.host_matrix(what);
      const Eigen::Map<const Eigen::ArrayXd> s(signals.row(r), signals.cols), x(inputs.row(r), inputs.cols);
      if (layer.kind == FactorisedLayer::Kind::LayerNorm) {
        k += (s * x).square().sum() + s.square().sum();
      } else if (layer.tokens == 1) {
        k += s.square().sum() * (x.square().sum() + (layer.bias ? 1.0 : 0.0));
      } else {  // sum over token pairs: the two S x S token Grams meet in the epilogue
        const Eigen::Index S = layer.tokens;
        using TokenRows = Eigen::Map<const RowMatrix>;
        const TokenRows D(signals.row(r), S, signals.cols / S), H(inputs.row(r), S, inputs.cols / S);
        const RowMatrix sd = D * D.transpose(), hh = H * H.transpose();
        k += (sd.array() * (hh.array() + (layer.bias ? 1.0 : 0.0))).sum();
      }
    }
    return k;
  };
  constexpr std::int64_t kChunk = 256;
  const auto n = static_cast<std::int64_t>(ia.size());
  parallel_for((n + kChunk - 1) / kChunk, threads, [&](std::int64_t b) {
    for (std::int64_t k = b * kChunk; k < std::min(n, (b + 1) * kChunk); ++k) d(k) = entry(ia[k]);
  });
  // A non-finite feature makes k(z, z) NaN or infinite (0 x inf is NaN), so this checks the rows.
  for (std::int64_t k = 0; k < n; ++k)
    if (!std::isfinite(d(k))) throw_nonfinite_feature_row(A, ia[k], what);
  return d;
}

}  // namespace detail
}  // namespace amf
