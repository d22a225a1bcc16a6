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
                          double* K, GramWorkspace* workspace) {
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
  GramWorkspace local;
  GramWorkspace& ws = workspace ? *workspace : local;
  ws.S.grow_to(count);
  ws.H.grow_to(count);
  double *S = ws.S.get(), *H = ws.H.get();
  for (std::size_t l = 0; l < A.kinds.size(); ++l) {
    if (A.kinds[l] == FactorisedLayer::Kind::LayerNorm) {  // (delta o xhat) . (delta' o xhat') + delta . delta'
      factor_gemm(ctx, A.left[l], B.left[l], A.left_width[l], a, b, blocks, 1.0, K);
      factor_gemm(ctx, A.right[l], B.right[l], A.right_width[l], a, b, blocks, 1.0, K);
    } else {  // (delta . delta') (h . h' + 1)
      factor_gemm(ctx, A.right[l], B.right[l], A.right_width[l], a, b, blocks, 0.0, S);
      factor_gemm(ctx, A.left[l], B.left[l], A.left_width[l], a, b, blocks, 0.0, H);
      kernels::linear_layer_accumulate(K, S, H, count, ctx.stream());
    }
  }
}

FeatureStagingSlot::FeatureStagingSlot(const CudaContext& ctx, int slot)
    : ctx_(ctx), host_(ctx.pinned_staging(slot)) {
  // Never recorded yet: waiting on them returns at once.
  AMF_CUDA_TRY(cudaEventCreateWithFlags(&copied_, cudaEventDisableTiming));
  AMF_CUDA_TRY(cudaEventCreateWithFlags(&read_, cudaEventDisableTiming));
}

FeatureStagingSlot::~FeatureStagingSlot() {
  // The pinned buffer outlives the session: no copy out of it may still be running.
  if (copied_) cudaEventSynchronize(copied_);
  if (copied_) cudaEventDestroy(copied_);
  if (read_) cudaEventDestroy(read_);
}

void FeatureStagingSlot::reserve(const FeatureBlockLayout& layout, std::int64_t rows) {
  if (layout.kinds != layout_.kinds || layout.embedding != layout_.embedding ||
      layout.left_width != layout_.left_width || layout.right_width != layout_.right_width) {
    layout_ = layout;
    device_ = DeviceFeatures{};
    device_.kinds = layout.kinds;
    device_.embedding = layout.embedding;
    device_.left_width = layout.left_width;
    device_.right_width = layout.right_width;
    device_.left.resize(layout.left_width.size());
    device_.right.resize(layout.right_width.size());
    capacity_ = 0;
  }
  if (rows <= capacity_) return;
  AMF_CUDA_TRY(cudaEventSynchronize(read_));  // growing frees buffers kernels may still read
  host_.grow_to(static_cast<std::size_t>(rows * layout.doubles_per_row()));
  for (std::size_t l = 0; l < layout.left_width.size(); ++l) {
    device_.left[l].grow_to(static_cast<std::size_t>(rows * layout.left_width[l]));
    device_.right[l].grow_to(static_cast<std::size_t>(rows * layout.right_width[l]));
  }
  capacity_ = rows;
}

const DeviceFeatures& FeatureStagingSlot::stage(const FeatureSet& set, const std::vector<std::int64_t>& rows,
                                                int threads, const char* what) {
  const auto count = static_cast<std::int64_t>(rows.size());
  if (count > capacity_) throw Error("FeatureStagingSlot: " + std::to_string(count) + " rows staged, " +
                                     std::to_string(capacity_) + " reserved");
  AMF_CUDA_TRY(cudaEventSynchronize(copied_));  // the pinned buffer's previous copy has ended
  gather_features_into(set, rows.data(), count, host_.get(), threads, what);
  const cudaStream_t copy = ctx_.copy_stream();
  AMF_CUDA_TRY(cudaStreamWaitEvent(copy, read_, 0));  // the kernels reading the device buffers have ended
  for (std::size_t b = 0; b < 2 * layout_.left_width.size(); ++b) {
    const int width = b % 2 == 0 ? layout_.left_width[b / 2] : layout_.right_width[b / 2];
    DeviceBuffer<double>& to = b % 2 == 0 ? device_.left[b / 2] : device_.right[b / 2];
    if (width > 0 && count > 0)
      AMF_CUDA_TRY(cudaMemcpyAsync(to.get(), host_.get() + layout_.block_offset(b, count),
                                   static_cast<std::size_t>(count * width) * sizeof(double), cudaMemcpyHostToDevice,
                                   copy));
  }
  AMF_CUDA_TRY(cudaEventRecord(copied_, copy));
  AMF_CUDA_TRY(cudaStreamWaitEvent(ctx_.stream(), copied_, 0));
  device_.rows = count;
  return device_;
}

void FeatureStagingSlot::mark_read() { AMF_CUDA_TRY(cudaEventRecord(read_, ctx_.stream())); }

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
