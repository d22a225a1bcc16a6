#pragma once
// Loss-gradient features on the device and their Gram blocks. A gathered layer factor is a
// row-major (rows x width) host block, which cuBLAS reads as column-major (width x rows, leading
// dimension width) without a transpose; a Gram block k(A, B) = A^T B per factor.
#include <cstdint>
#include <vector>

#include "cuda/cuda_context.hpp"
#include "fused_criterion.cuh"
#include "gp/feature_gram.hpp"
#include "gp/feature_staging.hpp"

namespace amf {
namespace detail {

// GatheredFeatures on the device: per term its form and its left and right blocks.
struct DeviceFeatureTerm {
  bool linear = false;
  std::int64_t tokens = 1;
  double bias = 1.0;
  DeviceBuffer<double> left, right;
  int left_width = 0, right_width = 0;  // all tokens
};

struct DeviceFeatures {
  std::vector<DeviceFeatureTerm> terms;
  std::int64_t rows = 0;
  bool same_form(const DeviceFeatures& o) const;
};

DeviceFeatures upload_features(const GatheredFeatures& features, cudaStream_t stream);

// One side of a batched Gram: rows [first + q * stride, first + q * stride + count) of `set`
// for the q-th block (stride 0: the same rows for every block).
struct RowBlocks {
  const DeviceFeatures& set;
  std::int64_t first, stride, count;
};

// The two temporary blocks of batched_feature_gram, kept by a session so that a chunk allocates
// (and cudaFree synchronises) nothing.
struct GramWorkspace {
  DeviceBuffer<double> S, H;
};

// For q < blocks: K + q * a.count * b.count <- k(a's rows of block q, b's rows of block q), each
// a column-major a.count x b.count block. A product term is one batched GEMM; a Linear layer's
// two GEMMs meet in the Hadamard epilogue s (h + bias) (kernels/feature_kernels.cu), through two
// temporary blocks of the same size, once per token pair on a token sequence (the temporaries
// stay the size of K whatever the token count; in `workspace` when given, else allocated for the
// call).
void batched_feature_gram(const CudaContext& ctx, const RowBlocks& a, const RowBlocks& b, std::int64_t blocks,
                          double* K, GramWorkspace* workspace = nullptr);

// Empty device features of `layout`'s terms (forms and widths; no rows yet).
DeviceFeatures device_features_of(const FeatureBlockLayout& layout);

// Candidate features that already live on the device (a FeatureSet whose views are all CUDA
// views of the context's device, float32 or float64): rows gathered there, on the compute stream,
// into the staging layout, never through the host. Values that are not finite are recorded on the
// device and reported by check() once the pass has synchronised, so chunks stay pipelined.
class DeviceRowGather {
 public:
  explicit DeviceRowGather(const CudaContext& ctx);
  // Throws amf::InvalidArgument unless every view of `set` is a CUDA view on the context's device.
  static void check_placement(const FeatureSet& set, int device, const char* what);
  // Rows `rows` of `set` into `out` (buffers grown to rows.size(); its terms laid out as `layout`).
  void gather(const FeatureSet& set, const FeatureBlockLayout& layout, const std::vector<std::int64_t>& rows,
              DeviceFeatures& out);
  // After a synchronisation: amf::InvalidArgument naming `what` and the first row gathered since
  // the last check that holds a value that is not finite.
  void check(const char* what);

 private:
  const CudaContext& ctx_;
  DeviceBuffer<std::int64_t> rows_;
  DeviceBuffer<unsigned long long> first_bad_;
};

// One of a session's two staging slots (double buffering): a chunk's candidate feature rows are
// gathered on the host into the context's pinned slot, copied on the copy stream into device
// buffers sized once for the largest chunk, and read by kernels on the compute stream. Events
// order the reuse: the host gathers into the pinned buffer only after its previous copy ended,
// and the copy overwrites the device buffers only after the kernels that read them ended, so
// chunk k's gather and copy overlap chunk k - 1's kernels.
class FeatureStagingSlot {
 public:
  FeatureStagingSlot(const CudaContext& ctx, int slot);
  ~FeatureStagingSlot();
  FeatureStagingSlot(const FeatureStagingSlot&) = delete;
  FeatureStagingSlot& operator=(const FeatureStagingSlot&) = delete;

  // Buffers for up to `rows` rows of features laid out as `layout` (and as much pinned host
  // staging, unless the features are gathered on the device).
  void reserve(const FeatureBlockLayout& layout, std::int64_t rows, bool host_staging = true);
  // Rows `rows` of `set` onto the device; the compute stream waits for them. The result stays
  // valid until the next stage() on this slot. A set on the device (on_device non-null) is
  // gathered there instead, on the compute stream, with no host staging or copy.
  const DeviceFeatures& stage(const FeatureSet& set, const std::vector<std::int64_t>& rows, int threads,
                              const char* what, DeviceRowGather* on_device = nullptr);
  // After the chunk's kernels are queued on the compute stream.
  void mark_read();

 private:
  const CudaContext& ctx_;
  PinnedBuffer<double>& host_;
  FeatureBlockLayout layout_;
  std::int64_t capacity_ = 0;
  DeviceFeatures device_;
  cudaEvent_t copied_ = nullptr, read_ = nullptr;
};

// The cross-covariance terms of the fused kernel for candidate pairs of T consecutive rows of
// `candidates` against every row of `targets` (core/fused_terms.hpp).
std::vector<kernels::StreamTerm> fused_stream_terms(const DeviceFeatures& candidates, std::int64_t T,
                                                    const DeviceFeatures& targets);

}  // namespace detail
}  // namespace amf
