#include "cuda/device_features.hpp"

#include "amf/error.hpp"
#include "core/fused_terms.hpp"
#include "cuda/device_linalg.hpp"
#include "feature_kernels.cuh"

namespace amf {
namespace detail {
namespace {

DeviceBuffer<double> upload_matrix(const RowMatrix& m, cudaStream_t s) {
  DeviceBuffer<double> d(static_cast<std::size_t>(m.size()));
  upload(d, m.data(), static_cast<std::size_t>(m.size()), s);
  return d;
}

// K_q (+)= A_q^T B_q for one factor over `width` columns starting at column `offset` of rows
// that are `ld` apart: A_q is width x a.count at row a.first + q a.stride.
void factor_gemm(const CudaContext& ctx, const double* A, const double* B, int width, int ld, int a_offset,
                 int b_offset, const RowBlocks& a, const RowBlocks& b, std::int64_t blocks, double beta, double* K) {
  const double one = 1.0;
  AMF_CUBLAS_TRY(cublasDgemmStridedBatched(
      ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(a.count), static_cast<int>(b.count), width, &one,
      A + a.first * ld + a_offset, ld, a.stride * ld, B + b.first * ld + b_offset, ld, b.stride * ld, &beta, K,
      static_cast<int>(a.count), a.count * b.count, static_cast<int>(blocks)));
}

}  // namespace

bool DeviceFeatures::same_form(const DeviceFeatures& o) const {
  if (terms.size() != o.terms.size()) return false;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    const DeviceFeatureTerm &x = terms[t], &y = o.terms[t];
    if (x.linear != y.linear || x.tokens != y.tokens || x.bias != y.bias || x.left_width != y.left_width ||
        x.right_width != y.right_width)
      return false;
  }
  return true;
}

DeviceFeatures upload_features(const GatheredFeatures& g, cudaStream_t s) {
  DeviceFeatures d;
  d.rows = g.rows();
  for (const GatheredTerm& t : g.terms) {
    DeviceFeatureTerm dt;
    dt.linear = t.linear;
    dt.tokens = t.tokens;
    dt.bias = t.bias;
    dt.left = upload_matrix(t.left, s);
    dt.left_width = static_cast<int>(t.left.cols());
    dt.right = upload_matrix(t.right, s);
    dt.right_width = static_cast<int>(t.right.cols());
    d.terms.push_back(std::move(dt));
  }
  return d;
}

void batched_feature_gram(const CudaContext& ctx, const RowBlocks& a, const RowBlocks& b, std::int64_t blocks,
                          double* K) {
  const std::int64_t count = blocks * a.count * b.count;
  if (count == 0) return;
  const DeviceFeatures &A = a.set, &B = b.set;
  if (!A.same_form(B)) throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  AMF_CUDA_TRY(cudaMemsetAsync(K, 0, count * sizeof(double), ctx.stream()));
  bool linear = false;
  for (const auto& t : A.terms) linear = linear || t.linear;
  DeviceBuffer<double> S(linear ? count : 0), H(linear ? count : 0);
  for (std::size_t l = 0; l < A.terms.size(); ++l) {
    const DeviceFeatureTerm &x = A.terms[l], &y = B.terms[l];
    if (!x.linear) {  // a product: an embedding, or one of a LayerNorm's two
      factor_gemm(ctx, x.left.get(), y.left.get(), x.left_width, x.left_width, 0, 0, a, b, blocks, 1.0, K);
      continue;
    }
    // (delta_u . delta'_v) (h_u . h'_v + bias) for every token pair (u, v)
    const int T = static_cast<int>(x.tokens), dout = x.right_width / T, din = x.left_width / T;
    for (int u = 0; u < T; ++u)
      for (int v = 0; v < T; ++v) {
        factor_gemm(ctx, x.right.get(), y.right.get(), dout, x.right_width, u * dout, v * dout, a, b, blocks, 0.0,
                    S.get());
        factor_gemm(ctx, x.left.get(), y.left.get(), din, x.left_width, u * din, v * din, a, b, blocks, 0.0, H.get());
        kernels::linear_layer_accumulate(K, S.get(), H.get(), count, x.bias, ctx.stream());
      }
  }
}

std::vector<kernels::StreamTerm> fused_stream_terms(const DeviceFeatures& X, std::int64_t T,
                                                    const DeviceFeatures& Z) {
  if (!X.same_form(Z)) throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  FusedFeatureLayout f;
  for (std::size_t t = 0; t < X.terms.size(); ++t) {
    const DeviceFeatureTerm &x = X.terms[t], &z = Z.terms[t];
    f.terms.push_back({x.linear, x.tokens, x.bias, x.left.get(), x.right.get(), z.left.get(), z.right.get(),
                       x.left_width, x.right_width});
  }
  return fused_stream_terms(f, T);
}

}  // namespace detail
}  // namespace amf
