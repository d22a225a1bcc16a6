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

RowMatrix gather(const MatrixView<double>& m, const std::vector<std::int64_t>& rows) {
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

GatheredFeatures gather_features(const FeatureSet& set, const std::vector<std::int64_t>& rows, const char* what) {
  GatheredFeatures g;
  for (const std::int64_t r : rows) {
    bool finite = true;
    auto check = [&](const MatrixView<double>& m) {
      if (r >= 0 && r < m.rows) finite = finite && Eigen::Map<const Eigen::ArrayXd>(m.row(r), m.cols).allFinite();
    };
    if (set.layers.empty()) check(set.embedding);
    for (const auto& layer : set.layers) {
      check(layer.inputs);
      check(layer.signals);
    }
    if (!finite) throw_nonfinite_feature_row(set, r, what);
  }
  if (set.layers.empty()) {
    g.embedding = true;
    g.kinds.push_back(FactorisedLayer::Kind::Linear);
    g.left.push_back(gather(set.embedding, rows));
    g.right.emplace_back();
    return g;
  }
  for (const auto& layer : set.layers) {
    g.kinds.push_back(layer.kind);
    RowMatrix signals = gather(layer.signals, rows), inputs = gather(layer.inputs, rows);
    if (layer.kind == FactorisedLayer::Kind::LayerNorm) inputs = signals.cwiseProduct(inputs);
    g.left.push_back(std::move(inputs));
    g.right.push_back(std::move(signals));
  }
  return g;
}

RowMatrix feature_gram(const GatheredFeatures& A, const GatheredFeatures& B) {
  bool same = A.embedding == B.embedding && A.kinds == B.kinds;
  for (std::size_t l = 0; same && l < A.left.size(); ++l)
    same = A.left[l].cols() == B.left[l].cols() && A.right[l].cols() == B.right[l].cols();
  if (!same) throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  if (A.embedding) return A.left[0] * B.left[0].transpose();
  RowMatrix K = RowMatrix::Zero(A.rows(), B.rows());
  for (std::size_t l = 0; l < A.left.size(); ++l) {
    if (A.kinds[l] == FactorisedLayer::Kind::Linear)  // (delta . delta') (h . h' + 1): weights and bias
      K.array() += (A.right[l] * B.right[l].transpose())
                       .array()
                       .binaryExpr((A.left[l] * B.left[l].transpose()).array(),
                                   [](double s, double h) { return tile::linear_layer_term(s, h); });
    else  // LayerNorm gain and shift: (delta o xhat) . (delta' o xhat') + delta . delta'
      K.noalias() += A.left[l] * B.left[l].transpose() + A.right[l] * B.right[l].transpose();
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
  auto sq = [](const MatrixView<double>& m, std::int64_t r) {
    return Eigen::Map<const Eigen::ArrayXd>(m.row(r), m.cols).square().sum();
  };
  auto entry = [&](std::int64_t r) {
    if (A.layers.empty()) return sq(A.embedding, r);
    double k = 0;
    for (const auto& layer : A.layers) {
      if (layer.kind == FactorisedLayer::Kind::Linear) {
        k += sq(layer.signals, r) * (sq(layer.inputs, r) + 1.0);
      } else {
        const Eigen::Map<const Eigen::ArrayXd> s(layer.signals.row(r), layer.signals.cols),
            x(layer.inputs.row(r), layer.inputs.cols);
        k += (s * x).square().sum() + s.square().sum();
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
