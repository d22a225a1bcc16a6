#include "cuda/device_features.hpp"

#include "amf/error.hpp"
#include "core/fused_terms.hpp"
#include "cuda/device_linalg.hpp"
#include "feature_gather.cuh"
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
                          double* K, GramWorkspace* workspace) {
  const std::int64_t count = blocks * a.count * b.count;
  if (count == 0) return;
  const DeviceFeatures &A = a.set, &B = b.set;
  if (!A.same_form(B)) throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  AMF_CUDA_TRY(cudaMemsetAsync(K, 0, count * sizeof(double), ctx.stream()));
  bool linear = false;
  for (const auto& t : A.terms) linear = linear || t.linear;
  GramWorkspace local;
  GramWorkspace& ws = workspace ? *workspace : local;
  if (linear) {
    ws.S.grow_to(count);
    ws.H.grow_to(count);
  }
  double *S = ws.S.get(), *H = ws.H.get();
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
        factor_gemm(ctx, x.right.get(), y.right.get(), dout, x.right_width, u * dout, v * dout, a, b, blocks, 0.0, S);
        factor_gemm(ctx, x.left.get(), y.left.get(), din, x.left_width, u * din, v * din, a, b, blocks, 0.0, H);
        kernels::linear_layer_accumulate(K, S, H, count, x.bias, ctx.stream());
      }
  }
}

DeviceFeatures device_features_of(const FeatureBlockLayout& layout) {
  DeviceFeatures d;
  for (const FeatureBlockTerm& t : layout.terms) {
    DeviceFeatureTerm term;
    term.linear = t.linear;
    term.tokens = t.tokens;
    term.bias = t.bias;
    term.left_width = t.left_width;
    term.right_width = t.right_width;
    d.terms.push_back(std::move(term));
  }
  return d;
}

namespace {

constexpr unsigned long long kNoBadRow = ~0ull;

}  // namespace

DeviceRowGather::DeviceRowGather(const CudaContext& ctx) : ctx_(ctx), first_bad_(1) {
  AMF_CUDA_TRY(cudaMemcpyAsync(first_bad_.get(), &kNoBadRow, sizeof(kNoBadRow), cudaMemcpyHostToDevice, ctx.stream()));
}

void DeviceRowGather::check_placement(const FeatureSet& set, int device, const char* what) {
  const auto check = [&](const ArrayView& v, const std::string& field) {
    if (v.space != MemorySpace::Cuda || v.device != device)
      throw InvalidArgument(std::string(what) + "." + field + " is " + v.describe() + ": give every view of " + what +
                            " on cuda:" + std::to_string(device) + " (the backend's device), or every view on the host");
  };
  if (set.has_embedding()) check(set.embedding, "embedding");
  for (std::size_t l = 0; l < set.layers.size(); ++l) {
    check(set.layers[l].inputs, "layers[" + std::to_string(l) + "].inputs");
    check(set.layers[l].signals, "layers[" + std::to_string(l) + "].signals");
  }
}

void DeviceRowGather::gather(const FeatureSet& set, const FeatureBlockLayout& layout,
                             const std::vector<std::int64_t>& rows, DeviceFeatures& out) {
  const auto count = static_cast<std::int64_t>(rows.size());
  const cudaStream_t s = ctx_.stream();
  out.rows = count;
  if (count == 0) return;
  rows_.grow_to(static_cast<std::size_t>(count));
  // Pageable source: the copy has read `rows` when it returns, and the kernels below follow it on
  // the same stream, as does the next gather's copy into the same buffer.
  AMF_CUDA_TRY(cudaMemcpyAsync(rows_.get(), rows.data(), count * sizeof(std::int64_t), cudaMemcpyHostToDevice, s));
  // The blocks in the host gather's order and values (gather_block_sources, tested on the CPU).
  const std::vector<GatherBlockSources> sources = gather_block_sources(set);
  for (std::size_t b = 0; b < layout.blocks(); ++b) {
    const int width = layout.block_width(b);
    if (width == 0 || !sources[b].a.data) continue;
    DeviceBuffer<double>& to = b % 2 == 0 ? out.terms[b / 2].left : out.terms[b / 2].right;
    to.grow_to(static_cast<std::size_t>(count * width));
    kernels::gather_feature_block(to.get(), width, sources[b].a, sources[b].b, rows_.get(), count, first_bad_.get(), s);
  }
}

void DeviceRowGather::check(const char* what) {
  unsigned long long bad = kNoBadRow;
  AMF_CUDA_TRY(cudaMemcpy(&bad, first_bad_.get(), sizeof(bad), cudaMemcpyDeviceToHost));
  if (bad == kNoBadRow) return;
  AMF_CUDA_TRY(cudaMemcpy(first_bad_.get(), &kNoBadRow, sizeof(kNoBadRow), cudaMemcpyHostToDevice));
  throw InvalidArgument(std::string("amf feature criterion: ") + what + " row " + std::to_string(bad) +
                        " holds a value that is not finite (found on the device)");
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

void FeatureStagingSlot::reserve(const FeatureBlockLayout& layout, std::int64_t rows, bool host_staging) {
  if (layout != layout_) {
    // The staged features carry each term's form (tokens, bias), so the Gram and the fused
    // kernel's terms read them as they read uploaded ones (same_form with the targets').
    AMF_CUDA_TRY(cudaEventSynchronize(read_));  // dropping buffers kernels may still read
    layout_ = layout;
    device_ = device_features_of(layout);
    capacity_ = 0;
  }
  if (rows <= capacity_) return;
  AMF_CUDA_TRY(cudaEventSynchronize(read_));  // growing frees buffers kernels may still read
  if (host_staging) host_.grow_to(static_cast<std::size_t>(rows * layout.doubles_per_row()));
  for (DeviceFeatureTerm& t : device_.terms) {
    t.left.grow_to(static_cast<std::size_t>(rows * t.left_width));
    t.right.grow_to(static_cast<std::size_t>(rows * t.right_width));
  }
  capacity_ = rows;
}

const DeviceFeatures& FeatureStagingSlot::stage(const FeatureSet& set, const std::vector<std::int64_t>& rows,
                                                int threads, const char* what, DeviceRowGather* on_device) {
  const auto count = static_cast<std::int64_t>(rows.size());
  if (on_device) {
    // Kernels on the compute stream: ordered after the previous reads of these buffers already.
    on_device->gather(set, layout_, rows, device_);
    return device_;
  }
  if (count > capacity_) throw Error("FeatureStagingSlot: " + std::to_string(count) + " rows staged, " +
                                     std::to_string(capacity_) + " reserved");
  // gather_features_into lays rows out by the set's own terms; any other form would overrun the
  // pinned buffer or mislabel the device terms.
  if (feature_block_layout(set) != layout_)
    throw Error("FeatureStagingSlot: the set's terms differ from the reserved layout");
  AMF_CUDA_TRY(cudaEventSynchronize(copied_));  // the pinned buffer's previous copy has ended
  gather_features_into(set, rows.data(), count, host_.get(), threads, what);
  const cudaStream_t copy = ctx_.copy_stream();
  AMF_CUDA_TRY(cudaStreamWaitEvent(copy, read_, 0));  // the kernels reading the device buffers have ended
  for (std::size_t b = 0; b < layout_.blocks(); ++b) {
    const int width = layout_.block_width(b);
    DeviceBuffer<double>& to = b % 2 == 0 ? device_.terms[b / 2].left : device_.terms[b / 2].right;
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
