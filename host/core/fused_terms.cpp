#include "core/fused_terms.hpp"

#include "amf/error.hpp"

namespace amf {
namespace detail {

std::vector<kernels::StreamTerm> fused_stream_terms(const FusedFeatureLayout& f, std::int64_t T) {
  // A factor of one token's columns; rows are `width` (all tokens) apart.
  auto factor = [T](const double* x, const double* z, int width, std::int64_t tokens) {
    const int token_width = static_cast<int>(width / tokens);
    return kernels::StreamFactor{x, T * width, width, z, width, token_width};
  };
  using Kind = kernels::StreamTermKind;
  std::vector<kernels::StreamTerm> terms;
  for (const FusedFeatureTerm& t : f.terms) {
    if (!t.linear) {
      terms.push_back({Kind::Product, 1.0, factor(t.candidate_left, t.target_left, t.left_width, 1), {}});
      continue;
    }
    kernels::StreamTerm term{Kind::LinearLayer, 1.0, factor(t.candidate_right, t.target_right, t.right_width, t.tokens),
                             factor(t.candidate_left, t.target_left, t.left_width, t.tokens)};
    term.tokens = static_cast<int>(t.tokens);
    term.bias = t.bias;
    terms.push_back(term);
  }
  return terms;
}

FusedFeatureLayout fused_layout(const GatheredFeatures& X, const GatheredFeatures& Z) {
  if (!X.same_form(Z)) throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  FusedFeatureLayout f;
  for (std::size_t t = 0; t < X.terms.size(); ++t) {
    const GatheredTerm &x = X.terms[t], &z = Z.terms[t];
    f.terms.push_back({x.linear, x.tokens, x.bias, x.left.data(), x.right.data(), z.left.data(), z.right.data(),
                       static_cast<int>(x.left.cols()), static_cast<int>(x.right.cols())});
  }
  return f;
}

}  // namespace detail
}  // namespace amf
