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

// K_q (+)= A_q^T B_q for one factor: A_q is width x a.count at column a.first + q a.stride.
void factor_gemm(const CudaContext& ctx, const DeviceBuffer<double>& A, const DeviceBuffer<double>& B, int width,
                 const RowBlocks& a, const RowBlocks& b, std::int64_t blocks, double beta, double* K) {
  const double one = 1.0;
  AMF_CUBLAS_TRY(cublasDgemmStridedBatched(
      ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(a.count), static_cast<int>(b.count), width, &one,
      A.get() + a.first * width, width, a.stride * width, B.get() + b.first * width, width, b.stride * width, &beta, K,
      static_cast<int>(a.count), a.count * b.count, static_cast<int>(blocks)));
}

}  // namespace

DeviceFeatures upload_features(const GatheredFeatures& g, cudaStream_t s) {
  DeviceFeatures d;
  d.kinds = g.kinds;
  d.embedding = g.embedding;
  d.rows = g.rows();
  for (std::size_t l = 0; l < g.left.size(); ++l) {
    d.left.push_back(upload_matrix(g.left[l], s));
    d.left_width.push_back(static_cast<int>(g.left[l].cols()));
    d.right.push_back(upload_matrix(g.right[l], s));
    d.right_width.push_back(static_cast<int>(g.right[l].cols()));
  }
  return d;
}

void batched_feature_gram(const CudaContext& ctx, const RowBlocks& a, const RowBlocks& b, std::int64_t blocks,
                          double* K) {
  const std::int64_t count = blocks * a.count * b.count;
  if (count == 0) return;
  const DeviceFeatures &A = a.set, &B = b.set;
  if (A.embedding != B.embedding || A.kinds != B.kinds || A.left_width != B.left_width || A.right_width != B.right_width)
    throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  if (A.embedding) {
    factor_gemm(ctx, A.left[0], B.left[0], A.left_width[0], a, b, blocks, 0.0, K);
    return;
  }
  AMF_CUDA_TRY(cudaMemsetAsync(K, 0, count * sizeof(double), ctx.stream()));
  DeviceBuffer<double> S(count), H(count);
  for (std::size_t l = 0; l < A.kinds.size(); ++l) {
    if (A.kinds[l] == FactorisedLayer::Kind::LayerNorm) {  // (delta o xhat) . (delta' o xhat') + delta . delta'
      factor_gemm(ctx, A.left[l], B.left[l], A.left_width[l], a, b, blocks, 1.0, K);
      factor_gemm(ctx, A.right[l], B.right[l], A.right_width[l], a, b, blocks, 1.0, K);
    } else {  // (delta . delta') (h . h' + 1)
      factor_gemm(ctx, A.right[l], B.right[l], A.right_width[l], a, b, blocks, 0.0, S.get());
      factor_gemm(ctx, A.left[l], B.left[l], A.left_width[l], a, b, blocks, 0.0, H.get());
      kernels::linear_layer_accumulate(K, S.get(), H.get(), count, ctx.stream());
    }
  }
}

std::vector<kernels::StreamTerm> fused_stream_terms(const DeviceFeatures& X, std::int64_t T,
                                                    const DeviceFeatures& Z) {
  if (X.embedding != Z.embedding || X.kinds != Z.kinds || X.left_width != Z.left_width ||
      X.right_width != Z.right_width)
    throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  FusedFeatureLayout f;
  f.kinds = X.kinds;
  f.embedding = X.embedding;
  f.left_width = X.left_width;
  f.right_width = X.right_width;
  for (std::size_t l = 0; l < X.left.size(); ++l) {
    f.candidate_left.push_back(X.left[l].get());
    f.candidate_right.push_back(X.right[l].get());
    f.target_left.push_back(Z.left[l].get());
    f.target_right.push_back(Z.right[l].get());
  }
  return fused_stream_terms(f, T);
}

}  // namespace detail
}  // namespace amf
