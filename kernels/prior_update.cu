#include "prior_update.cuh"

#include <thrust/execution_policy.h>
#include <thrust/functional.h>
#include <thrust/transform.h>

#include "cuda/cuda_check.hpp"

namespace amf {
namespace kernels {
namespace {

struct From {
  double total;
  __host__ __device__ double operator()(double v) const { return total - v; }
};

}  // namespace

void subtract(const double* base, const double* explained, std::int64_t n, double* out, cudaStream_t stream) {
  if (n == 0) return;
  thrust::transform(thrust::cuda::par_nosync.on(stream), base, base + n, explained, out, thrust::minus<double>());
  AMF_CUDA_TRY(cudaGetLastError());
}

void subtract_from(double total, double* v, std::int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  thrust::transform(thrust::cuda::par_nosync.on(stream), v, v + n, v, From{total});
  AMF_CUDA_TRY(cudaGetLastError());
}

}  // namespace kernels
}  // namespace amf
