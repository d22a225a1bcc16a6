// CUB's segmented reduction over a transform iterator (weight x score gathered through the
// candidate order), so neither the products nor a permuted copy are materialised; Thrust for
// the jitter count and first failure.
#include <algorithm>
#include <cub/device/device_segmented_reduce.cuh>
#include <thrust/execution_policy.h>
#include <thrust/find.h>
#include <thrust/count.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include "cuda/cuda_check.hpp"
#include "pair_reductions.cuh"

namespace amf {
namespace kernels {
namespace {

struct WeightedScore {
  const double* score;
  const std::int64_t* order;
  const double* weight;
  __host__ __device__ double operator()(std::int64_t k) const { return weight[k] * score[order[k]]; }
};

struct Jittered {
  __host__ __device__ bool operator()(double j) const { return j > 0; }
};
struct Failed {
  __host__ __device__ bool operator()(double j) const { return j < 0; }
};

}  // namespace

void weighted_segment_sums(const double* score, const std::int64_t* order, const double* weight,
                           const std::int64_t* segments, std::int64_t count, double* out,
                           detail::DeviceBuffer<unsigned char>& scratch, cudaStream_t stream) {
  if (count == 0) return;
  auto products = thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0),
                                                  WeightedScore{score, order, weight});
  std::size_t bytes = 0;
  AMF_CUDA_TRY(cub::DeviceSegmentedReduce::Sum(nullptr, bytes, products, out, count, segments, segments + 1, stream));
  scratch.grow_to(std::max<std::size_t>(bytes, 1));
  AMF_CUDA_TRY(cub::DeviceSegmentedReduce::Sum(scratch.get(), bytes, products, out, count, segments, segments + 1, stream));
}

JitterOutcome jitter_outcome(const double* jitter, std::int64_t pairs, cudaStream_t stream) {
  if (pairs == 0) return {0, -1};
  const auto policy = thrust::cuda::par.on(stream);
  const std::int64_t jittered = thrust::count_if(policy, jitter, jitter + pairs, Jittered{});
  const std::int64_t failed = thrust::find_if(policy, jitter, jitter + pairs, Failed{}) - jitter;
  return {jittered, failed < pairs ? failed : -1};
}

}  // namespace kernels
}  // namespace amf
