#pragma once
// The targets' prior variances under a pass's conditioning, updated where they live (Thrust
// transforms on the session's stream) instead of a download, a host loop and an upload per pass,
// each copy a synchronisation. kernels/prior_update.cu.
#include <cuda_runtime.h>

#include <cstdint>

namespace amf {
namespace kernels {

// out[z] = base[z] - explained[z] for z < n (AMF-NN: k(z, z) less what this batch's picks explain).
void subtract(const double* base, const double* explained, std::int64_t n, double* out, cudaStream_t stream);

// v[z] = total - v[z] for z < n, in place (AMF-GP: the signal variance less |L^-1 k(X, z)|^2).
void subtract_from(double total, double* v, std::int64_t n, cudaStream_t stream);

}  // namespace kernels
}  // namespace amf
