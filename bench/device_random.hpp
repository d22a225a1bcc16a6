#pragma once
// Random operands for the device yardsticks: a GEMM over all-zero matrices runs faster than over
// real data (the multipliers' switching activity, and with it clocks under the power limit, is
// lower), so a roofline measured on zeros would flatter nothing and understate everything else.
// Filled on the host in chunks from a seeded generator and copied up; the check runs it once.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <vector>

namespace amf_bench {

inline cudaError_t fill_uniform(double* device, std::size_t count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> chunk(std::min<std::size_t>(count, std::size_t(1) << 20));
  for (std::size_t done = 0; done < count; done += chunk.size()) {
    const std::size_t n = std::min(chunk.size(), count - done);
    for (std::size_t i = 0; i < n; ++i) chunk[i] = u(rng);
    const cudaError_t e = cudaMemcpy(device + done, chunk.data(), n * sizeof(double), cudaMemcpyHostToDevice);
    if (e != cudaSuccess) return e;
  }
  return cudaSuccess;
}

}  // namespace amf_bench
