#pragma once
// Loss-gradient features on the device and their Gram blocks. A gathered layer factor is a
// row-major (rows x width) host block, which cuBLAS reads as column-major (width x rows, leading
// dimension width) without a transpose; a Gram block k(A, B) = A^T B per factor.
#include <cstdint>
#include <vector>

#include "cuda/cuda_context.hpp"
#include "fused_criterion.cuh"
#include "gp/feature_gram.hpp"

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

// For q < blocks: K + q * a.count * b.count <- k(a's rows of block q, b's rows of block q), each
// a column-major a.count x b.count block. A product term is one batched GEMM; a Linear layer's
// two GEMMs meet in the Hadamard epilogue s (h + bias) (kernels/feature_kernels.cu), through two
// temporary blocks of the same size, once per token pair on a token sequence (the temporaries
// stay the size of K whatever the token count).
void batched_feature_gram(const CudaContext& ctx, const RowBlocks& a, const RowBlocks& b, std::int64_t blocks,
                          double* K);

// The cross-covariance terms of the fused kernel for candidate pairs of T consecutive rows of
// `candidates` against every row of `targets` (core/fused_terms.hpp).
std::vector<kernels::StreamTerm> fused_stream_terms(const DeviceFeatures& candidates, std::int64_t T,
                                                    const DeviceFeatures& targets);

}  // namespace detail
}  // namespace amf
