#pragma once
// The loss-gradient kernel as the fused kernel's cross-covariance terms
// (kernels/fused_criterion.cuh), for features stored on either side: the CUDA backend hands
// device pointers, the CPU tests host pointers, and both get the same term list.
#include <cstdint>
#include <vector>

#include "amf/features.hpp"
#include "fused_criterion.cuh"
#include "gp/feature_gram.hpp"

namespace amf {
namespace detail {

// Per term of GatheredFeatures, row-major blocks (rows x width) of candidates (pairs of T
// consecutive rows) and targets: a product (left only: an embedding, or one of a LayerNorm's
// two products) or a Linear layer (left = inputs h, right = signals delta; widths over all
// tokens).
struct FusedFeatureTerm {
  bool linear = false;
  std::int64_t tokens = 1;
  double bias = 1.0;
  const double *candidate_left = nullptr, *candidate_right = nullptr, *target_left = nullptr, *target_right = nullptr;
  int left_width = 0, right_width = 0;
};

struct FusedFeatureLayout {
  std::vector<FusedFeatureTerm> terms;
};

// One kernel term per feature term: a product, or a LinearLayer term (signals o (inputs + bias),
// over token pairs): the same terms as feature_gram, term for term.
std::vector<kernels::StreamTerm> fused_stream_terms(const FusedFeatureLayout& layout, std::int64_t T);

// The layout of gathered host features (the CPU tests run the kernel on it).
FusedFeatureLayout fused_layout(const GatheredFeatures& candidates, const GatheredFeatures& targets);

}  // namespace detail
}  // namespace amf
