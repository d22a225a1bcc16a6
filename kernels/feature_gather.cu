// The device gather of feature_gather.cuh: one thread per element, grid-stride.
#include <cmath>

#include "cuda/cuda_check.hpp"
#include "feature_gather.cuh"

namespace amf {
namespace kernels {
namespace {

constexpr int kThreads = 256;

__global__ void gather_kernel(double* dest, int width, tile::GatherSource a, tile::GatherSource b,
                              const std::int64_t* rows, std::int64_t count, unsigned long long* first_bad) {
  const std::int64_t total = count * width;
  for (std::int64_t e = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; e < total;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / width, c = e % width;
    const double v = tile::gathered_value(a, b, rows, i, c);
    dest[e] = v;
    if (!isfinite(v)) atomicMin(first_bad, static_cast<unsigned long long>(rows[i]));
  }
}

}  // namespace

void gather_feature_block(double* dest, int width, tile::GatherSource a, tile::GatherSource b,
                          const std::int64_t* rows, std::int64_t count, unsigned long long* first_bad,
                          cudaStream_t stream) {
  const std::int64_t total = count * width;
  if (total == 0) return;
  const std::int64_t blocks = (total + kThreads - 1) / kThreads;
  gather_kernel<<<static_cast<unsigned>(blocks < 65535 ? blocks : 65535), kThreads, 0, stream>>>(
      dest, width, a, b, rows, count, first_bad);
  AMF_CUDA_TRY(cudaGetLastError());
}

}  // namespace kernels
}  // namespace amf
