#pragma once
// Launchers of the AMF-NN (feature criterion) device kernels, kernels/feature_kernels.cu. The
// Grams themselves are cuBLAS GEMMs of the per-layer features (host/cuda/device_features.cpp);
// these are their epilogues. Every launcher checks its launch.
#include <cuda_runtime.h>

#include <cstdint>

namespace amf {
namespace kernels {

// K[e] += S[e] (H[e] + bias) for e < count: the Linear-layer term of the loss-gradient kernel
// (tile::linear_layer_term; bias 1, or 0 for a layer without one) over element-wise aligned
// Gram blocks.
void linear_layer_accumulate(double* K, const double* S, const double* H, std::int64_t count, double bias,
                             cudaStream_t stream);

// G_q(i, i) += value for q < P, i < T: P column-major T x T blocks, block q at G + q T^2.
void add_block_diagonals(double* G, std::int64_t P, int T, double value, cudaStream_t stream);

// With feature groups (FeatureCriterionProblem::candidate_groups / target_groups, parameter
// isolation) the kernel between points of different groups is exactly 0: the CUDA feature
// criterion zeroes those entries of the Grams it builds from compact per-group features, as the
// CPU session does (host/cpu/feature_criterion.cpp, mask_groups). The fused kernel masks its own
// cross-covariance tiles (FusedCriterionArgs::pair_groups).
//
// A(i, j) = 0 where row_groups[i] != col_groups[j / col_repeat], for i < rows, j < cols; A
// column-major with leading dimension lda. col_repeat > 1 gives consecutive columns one group
// (a pair's T steps).
void mask_between_groups(double* A, std::int64_t rows, std::int64_t cols, std::int64_t lda,
                         const std::int64_t* row_groups, const std::int64_t* col_groups, std::int64_t col_repeat,
                         cudaStream_t stream);

// C_q(a, z) = 0 where pair_groups[q] != target_groups[z]: P column-major T x M blocks, block q
// at C + q T M (the materialised path's cross-covariances).
void mask_pair_blocks(double* C, std::int64_t P, int T, std::int64_t M, const std::int64_t* pair_groups,
                      const std::int64_t* target_groups, cudaStream_t stream);

}  // namespace kernels
}  // namespace amf
