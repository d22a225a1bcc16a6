#pragma once
// Whether the CUDA sources were compiled in, and how many devices the runtime reports.
// A missing driver or device (cudaGetDeviceCount's error 35 and friends) counts as 0 devices,
// never as an error.
#include <string>

namespace amf {
namespace detail {
bool cuda_built();
int cuda_devices();
std::string cuda_version();  // the runtime amf was built with, "major.minor"; empty without CUDA
}  // namespace detail
}  // namespace amf
