// Device views read back with the runtime: one strided 2-D copy into pageable host memory
// of the view's own type, then widened to float64 on the host. Copies here are for the parts the
// host needs (log-probabilities, and everything on the CPU backend), so plain synchronous copies.
#include "cuda/device_views.hpp"

#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "amf/error.hpp"
#include "cuda/device_probe.hpp"

namespace amf {
namespace detail {

void copy_cuda_view_to_host(const ArrayView& view, double* dest, const char* what) {
  if (view.empty()) return;
  if (cuda_devices() == 0)
    throw Error(std::string(what) + " is a CUDA view (" + view.describe() + ") but no CUDA device is visible");
  const std::size_t width = static_cast<std::size_t>(view.cols) * view.element_bytes();
  const std::size_t pitch = static_cast<std::size_t>(view.row_stride) * view.element_bytes();
  const std::size_t count = static_cast<std::size_t>(view.rows) * view.cols;
  int previous = 0;
  cudaGetDevice(&previous);
  const auto check = [&](cudaError_t status, const char* call) {
    if (status == cudaSuccess) return;
    cudaSetDevice(previous);
    throw Error(std::string(what) + " (" + view.describe() + "): " + call + " failed: " + cudaGetErrorString(status));
  };
  check(cudaSetDevice(view.device), "cudaSetDevice");
  if (view.type == ElementType::Float64) {
    check(cudaMemcpy2D(dest, width, view.data, pitch, width, view.rows, cudaMemcpyDeviceToHost), "cudaMemcpy2D");
  } else {
    std::vector<float> narrow(count);
    check(cudaMemcpy2D(narrow.data(), width, view.data, pitch, width, view.rows, cudaMemcpyDeviceToHost),
          "cudaMemcpy2D");
    for (std::size_t i = 0; i < count; ++i) dest[i] = narrow[i];
  }
  cudaSetDevice(previous);
}

int device_of_pointer(const void* pointer) {
  if (cuda_devices() == 0) return -2;
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) {
    cudaGetLastError();
    return -2;
  }
  if (attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged) return attributes.device;
  return -1;
}

}  // namespace detail
}  // namespace amf
