// Backend::open_session's first step for AMF-NN: every view in a form the backend reads. Host
// float64 views are used in place; the rest are copied once per session into host float64
// (float32 widened exactly, CUDA views read back), except CUDA features on a backend that reads
// them on their device.
#include <string>

#include "amf/error.hpp"
#include "amf/feature_problem.hpp"

namespace amf {
namespace {

class Resolver {
 public:
  explicit Resolver(std::vector<std::vector<double>>& storage) : storage_(storage) {}

  // `compact`: a strided host float64 view is copied too (a vector is read with unit stride).
  void host(ArrayView& view, const std::string& what, bool compact = false) {
    view.validate(what.c_str());
    if (view.is_host_float64() && (!compact || view.row_stride == view.cols)) return;
    std::vector<double>& copy = storage_.emplace_back(static_cast<std::size_t>(view.rows * view.cols));
    copy_to_host_float64(view, copy.data(), what.c_str());
    view = ArrayView(MatrixView<double>(copy.data(), view.rows, view.cols));
  }

  void features(FeatureSet& set, const std::string& what, bool keep_device) {
    const auto feature = [&](ArrayView& view, const std::string& field) {
      if (keep_device && view.space == MemorySpace::Cuda) {
        view.validate((what + "." + field).c_str());
        return;
      }
      host(view, what + "." + field);
    };
    if (!set.embedding.empty() || set.embedding.data) feature(set.embedding, "embedding");
    for (std::size_t l = 0; l < set.layers.size(); ++l) {
      feature(set.layers[l].inputs, "layers[" + std::to_string(l) + "].inputs");
      feature(set.layers[l].signals, "layers[" + std::to_string(l) + "].signals");
    }
  }

 private:
  std::vector<std::vector<double>>& storage_;
};

}  // namespace

namespace detail {

void resolve_weight_views(FeatureCriterionProblem& p, std::vector<std::vector<double>>& storage) {
  if (p.own_logp.cols > 1)
    throw InvalidArgument("amf feature criterion: own_logp must be one value per pool step (a vector), got " +
                          p.own_logp.describe());
  Resolver resolve(storage);
  resolve.host(p.candidate_logp, "candidate_logp");
  resolve.host(p.target_logp, "target_logp");
  resolve.host(p.own_logp, "own_logp", /*compact=*/true);
}

FeatureSet host_float64_features(const FeatureSet& set, std::vector<std::vector<double>>& storage, const char* what) {
  FeatureSet copy = set;
  Resolver(storage).features(copy, what, /*keep_device=*/false);
  return copy;
}

}  // namespace detail

void resolve_views(const FeatureCriterionProblem& problem, bool keep_device_features, ResolvedFeatureProblem& out) {
  out.storage.clear();
  out.problem = problem;
  FeatureCriterionProblem& p = out.problem;
  detail::resolve_weight_views(p, out.storage);
  Resolver resolve(out.storage);
  resolve.features(p.candidate_features, "candidate_features", keep_device_features);
  resolve.features(p.target_features, "target_features", /*keep_device=*/false);
}

}  // namespace amf
