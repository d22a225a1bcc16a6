// Built when nvcc is found. The runtime's answer is cached: asking is slow on machines with no
// driver, and the answer cannot change within a process.
#include <cuda_runtime.h>

#include "cuda/device_probe.hpp"

namespace amf {
namespace detail {

bool cuda_built() { return true; }

int cuda_devices() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no driver / no device" error
      return 0;
    }
    return n;
  }();
  return count;
}

std::string cuda_version() {
  return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string((CUDART_VERSION % 1000) / 10);
}

}  // namespace detail
}  // namespace amf
