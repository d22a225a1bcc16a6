#include "amf/features.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "amf/error.hpp"
#include "core/resolve_views.hpp"
#include "prep/parallel.hpp"
#include "gp/feature_gram.hpp"

namespace amf {

std::int64_t FeatureSet::points() const {
  return has_embedding() || layers.empty() ? embedding.rows : layers.front().signals.rows;  // every view has these rows
}

void FeatureSet::validate(const char* what) const { detail::validate_feature_set(*this, what, /*values=*/true); }

bool FeatureSet::on_device() const {
  if (embedding.space == MemorySpace::Cuda) return true;
  for (const FactorisedLayer& layer : layers)
    if (layer.inputs.space == MemorySpace::Cuda || layer.signals.space == MemorySpace::Cuda) return true;
  return false;
}

namespace detail {
namespace {

// Features are large (gigabytes at W-NN's size) and checked on every call: a vectorised test per
// row, rows split over all cores, and the first bad row overall (whatever the thread timing)
// searched for its column only when one exists.
template <typename T>
void scan_finite(const ArrayView& view, const std::string& field) {
  const T* data = static_cast<const T*>(view.data);
  const std::int64_t rows = view.rows, cols = view.cols, stride = view.row_stride;
  const std::int64_t chunk = std::max<std::int64_t>(64, (std::int64_t(1) << 18) / cols);  // ~2 MiB
  const std::int64_t chunks = (rows + chunk - 1) / chunk;
  std::vector<std::int64_t> first_bad(static_cast<std::size_t>(chunks), -1);
  detail::parallel_for(chunks, 0, [&](std::int64_t k) {
    for (std::int64_t r = k * chunk; r < std::min(rows, (k + 1) * chunk); ++r)
      if (!Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(data + r * stride, cols).allFinite()) {
        first_bad[static_cast<std::size_t>(k)] = r;
        return;
      }
  });
  for (const std::int64_t r : first_bad) {
    if (r < 0) continue;
    for (std::int64_t c = 0; c < cols; ++c)
      if (!std::isfinite(data[r * stride + c]))
        throw InvalidArgument(field + "[" + std::to_string(r) + "][" + std::to_string(c) + "] is not finite");
  }
}

}  // namespace

void validate_feature_set(const FeatureSet& set, const char* what, bool values) {
  const std::string w(what);
  const auto& layers = set.layers;
  const auto& embedding = set.embedding;
  auto check = [&](const ArrayView& view, const std::string& field, std::int64_t rows) {
    if (view.rows != rows)
      throw InvalidArgument(w + "." + field + " has " + std::to_string(view.rows) + " rows, expected " + std::to_string(rows));
    if (view.rows > 0 && view.cols > 0 && view.data == nullptr) throw InvalidArgument(w + "." + field + " is a null pointer");
    if (view.cols < 1) throw InvalidArgument(w + "." + field + " has 0 columns");
    view.validate((w + "." + field).c_str());
    // A CUDA view's values are checked where the device gathers its rows.
    if (!values || view.space != MemorySpace::Host) return;
    if (view.type == ElementType::Float64)
      scan_finite<double>(view, w + "." + field);
    else
      scan_finite<float>(view, w + "." + field);
  };
  if (layers.empty() && embedding.rows == 0 && embedding.cols == 0)
    throw InvalidArgument(w + ": give an explicit embedding, factorised layers, or both");
  const std::int64_t P = set.points();
  // An explicit part next to layers is optional: a 0 x 0 view means none.
  if (layers.empty() || embedding.rows != 0 || embedding.cols != 0) check(embedding, "embedding", P);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::string name = "layers[" + std::to_string(l) + "]";
    const FactorisedLayer& layer = layers[l];
    check(layer.inputs, name + ".inputs", P);
    check(layer.signals, name + ".signals", P);
    if (layer.kind == FactorisedLayer::Kind::LayerNorm) {
      if (layer.inputs.cols != layer.signals.cols)
        throw InvalidArgument(w + "." + name + ": a LayerNorm's normalised inputs and signals must have equal widths");
      if (layer.tokens != 1)
        throw InvalidArgument(w + "." + name + ": a LayerNorm takes one vector per point (tokens = 1, got " +
                              std::to_string(layer.tokens) + "); give its per-sample gradients as an embedding");
    } else if (layer.tokens < 1 || layer.inputs.cols % layer.tokens != 0 || layer.signals.cols % layer.tokens != 0) {
      throw InvalidArgument(w + "." + name + ": " + std::to_string(layer.tokens) + " tokens do not divide the " +
                            std::to_string(layer.inputs.cols) + " input and " + std::to_string(layer.signals.cols) +
                            " signal columns (each row holds tokens x width values)");
    }
  }
}

}  // namespace detail

namespace detail {

void throw_nonfinite_feature_row(const FeatureSet& set, std::int64_t row, const char* what) {
  const std::string prefix = std::string("amf feature criterion: ") + what;
  auto scan = [&](const ArrayView& view, const std::string& field) {
    const MatrixView<double> m = view.host_matrix(field.c_str());
    for (std::int64_t c = 0; c < m.cols; ++c)
      if (!std::isfinite(m(row, c)))
        throw InvalidArgument(prefix + "." + field + "[" + std::to_string(row) + "][" + std::to_string(c) +
                              "] is not finite");
  };
  if (set.has_embedding()) scan(set.embedding, "embedding");
  for (std::size_t l = 0; l < set.layers.size(); ++l) {
    scan(set.layers[l].inputs, "layers[" + std::to_string(l) + "].inputs");
    scan(set.layers[l].signals, "layers[" + std::to_string(l) + "].signals");
  }
  throw InvalidArgument(prefix + " row " + std::to_string(row) +
                        ": its kernel terms overflow (features of magnitude ~1e150 or more)");
}

}  // namespace detail

std::vector<double> feature_gram(const FeatureSet& a, const FeatureSet& b) {
  std::vector<std::vector<double>> storage;  // host float64 copies of float32 or CUDA views
  const FeatureSet A = detail::host_float64_features(a, storage, "feature_gram: A");
  const FeatureSet B = detail::host_float64_features(b, storage, "feature_gram: B");
  std::vector<std::int64_t> ia(A.points()), ib(B.points());
  for (std::int64_t i = 0; i < A.points(); ++i) ia[i] = i;
  for (std::int64_t j = 0; j < B.points(); ++j) ib[j] = j;
  const detail::RowMatrix K = detail::feature_gram(A, ia, B, ib);
  return std::vector<double>(K.data(), K.data() + K.size());
}

std::vector<double> feature_diagonal(const FeatureSet& a) {
  a.validate("feature_diagonal: A");
  std::vector<std::vector<double>> storage;
  const FeatureSet A = detail::host_float64_features(a, storage, "feature_diagonal: A");
  std::vector<std::int64_t> ia(A.points());
  for (std::int64_t i = 0; i < A.points(); ++i) ia[i] = i;
  const Eigen::VectorXd d = detail::feature_diagonal(A, ia, /*threads=*/0, "feature_diagonal: A");
  return std::vector<double>(d.data(), d.data() + d.size());
}

}  // namespace amf
