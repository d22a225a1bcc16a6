#pragma once
// The loss-gradient kernel as the fused kernel's cross-covariance terms
// (kernels/fused_criterion.cuh), for features stored on either side: the CUDA backend hands
// device pointers, the CPU tests host pointers, and both get the same term list.
#include <cstdint>
#include <vector>

#include "amf/features.hpp"
#include "fused_criterion.cuh"

namespace amf {
namespace detail {

// Per layer, row-major blocks (rows x width) of candidates (pairs of T consecutive rows) and
// targets, in the layout of GatheredFeatures: Linear (left = inputs h, right = signals delta),
// LayerNorm (left = delta o xhat, right = delta), embedding (left only).
struct FusedFeatureLayout {
  std::vector<FactorisedLayer::Kind> kinds;
  bool embedding = false;
  std::vector<const double*> candidate_left, candidate_right, target_left, target_right;
  std::vector<int> left_width, right_width;
};

// An embedding is one product; a LayerNorm layer two products; a Linear layer one LinearLayer
// term (signals o (inputs + 1)): the same terms as feature_gram, term for term.
std::vector<kernels::StreamTerm> fused_stream_terms(const FusedFeatureLayout& layout, std::int64_t T);

}  // namespace detail
}  // namespace amf
