#include "gp/feature_gram.hpp"

#include "amf/error.hpp"

namespace amf {
namespace detail {
namespace {

RowMatrix gather(const MatrixView<double>& m, const std::vector<std::int64_t>& rows) {
  RowMatrix out(static_cast<Eigen::Index>(rows.size()), m.cols);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::int64_t c = 0; c < m.cols; ++c) out(static_cast<Eigen::Index>(r), c) = m(rows[r], c);
  return out;
}

void check_compatible(const FeatureSet& A, const FeatureSet& B) {
  if (A.layers.size() != B.layers.size() || A.embedding.cols != B.embedding.cols)
    throw InvalidArgument("feature sets of different forms cannot be compared (layers or embedding width differ)");
  for (std::size_t l = 0; l < A.layers.size(); ++l)
    if (A.layers[l].kind != B.layers[l].kind || A.layers[l].inputs.cols != B.layers[l].inputs.cols ||
        A.layers[l].signals.cols != B.layers[l].signals.cols)
      throw InvalidArgument("feature sets differ at layer " + std::to_string(l) + " (kind or width)");
}

}  // namespace

RowMatrix feature_gram(const FeatureSet& A, const std::vector<std::int64_t>& ia, const FeatureSet& B,
                       const std::vector<std::int64_t>& ib) {
  check_compatible(A, B);
  if (A.layers.empty()) return gather(A.embedding, ia) * gather(B.embedding, ib).transpose();
  RowMatrix K = RowMatrix::Zero(static_cast<Eigen::Index>(ia.size()), static_cast<Eigen::Index>(ib.size()));
  for (std::size_t l = 0; l < A.layers.size(); ++l) {
    const RowMatrix dA = gather(A.layers[l].signals, ia), dB = gather(B.layers[l].signals, ib);
    const RowMatrix hA = gather(A.layers[l].inputs, ia), hB = gather(B.layers[l].inputs, ib);
    if (A.layers[l].kind == FactorisedLayer::Kind::Linear) {
      // (delta . delta') (h . h' + 1): weights and bias of the layer.
      K.array() += (dA * dB.transpose()).array() * ((hA * hB.transpose()).array() + 1.0);
    } else {
      // LayerNorm gain and shift: (delta o xhat) . (delta' o xhat') + delta . delta'.
      const RowMatrix gA = dA.cwiseProduct(hA), gB = dB.cwiseProduct(hB);
      K += gA * gB.transpose() + dA * dB.transpose();
    }
  }
  return K;
}

Eigen::VectorXd feature_diagonal(const FeatureSet& A, const std::vector<std::int64_t>& ia) {
  Eigen::VectorXd d = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(ia.size()));
  auto sq = [](const MatrixView<double>& m, std::int64_t r) {
    double s = 0;
    for (std::int64_t c = 0; c < m.cols; ++c) s += m(r, c) * m(r, c);
    return s;
  };
  for (std::size_t k = 0; k < ia.size(); ++k) {
    const std::int64_t r = ia[k];
    if (A.layers.empty()) {
      d(static_cast<Eigen::Index>(k)) = sq(A.embedding, r);
      continue;
    }
    for (const auto& layer : A.layers) {
      if (layer.kind == FactorisedLayer::Kind::Linear) {
        d(static_cast<Eigen::Index>(k)) += sq(layer.signals, r) * (sq(layer.inputs, r) + 1.0);
      } else {
        double g = 0;
        for (std::int64_t c = 0; c < layer.signals.cols; ++c) {
          const double v = layer.signals(r, c) * layer.inputs(r, c);
          g += v * v;
        }
        d(static_cast<Eigen::Index>(k)) += g + sq(layer.signals, r);
      }
    }
  }
  return d;
}

}  // namespace detail
}  // namespace amf
