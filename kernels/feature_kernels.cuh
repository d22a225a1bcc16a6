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

}  // namespace kernels
}  // namespace amf
