// Built when nvcc was not found: no CUDA, no devices.
#include "cuda/device_probe.hpp"

namespace amf {
namespace detail {
bool cuda_built() { return false; }
int cuda_devices() { return 0; }
std::string cuda_version() { return {}; }
}  // namespace detail
}  // namespace amf
