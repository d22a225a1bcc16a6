#include "core/fused_terms.hpp"

namespace amf {
namespace detail {

std::vector<kernels::StreamTerm> fused_stream_terms(const FusedFeatureLayout& f, std::int64_t T) {
  auto factor = [T](const double* x, const double* z, int width) {
    return kernels::StreamFactor{x, T * width, width, z, width, width};
  };
  using Kind = kernels::StreamTermKind;
  std::vector<kernels::StreamTerm> terms;
  if (f.embedding) {
    terms.push_back({Kind::Product, 1.0, factor(f.candidate_left[0], f.target_left[0], f.left_width[0]), {}});
    return terms;
  }
  for (std::size_t l = 0; l < f.kinds.size(); ++l) {
    const auto left = factor(f.candidate_left[l], f.target_left[l], f.left_width[l]);
    const auto right = factor(f.candidate_right[l], f.target_right[l], f.right_width[l]);
    if (f.kinds[l] == FactorisedLayer::Kind::LayerNorm) {
      terms.push_back({Kind::Product, 1.0, left, {}});
      terms.push_back({Kind::Product, 1.0, right, {}});
    } else {
      terms.push_back({Kind::LinearLayer, 1.0, right, left});
    }
  }
  return terms;
}

}  // namespace detail
}  // namespace amf
