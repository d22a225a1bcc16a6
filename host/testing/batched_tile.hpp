#pragma once
// The per-(candidate, trajectory) tile of the criterion on the device, batched: for each
// problem b, factor A_b (T x T, SPD) and return |L_b^-1 B_b[:, z]|^2 for every column z of
// B_b (T x M). It runs the tile functions of tile_math.cuh alone on the device, so the gpu tests
// can check them there apart from the rest of the criterion (kernels/gp_kernels.cu fuses them
// with the logs and sums). Throws amf::Error when CUDA is not compiled in or no device is present;
// a non-SPD A_b yields NaN for its outputs.
#include <vector>

namespace amf {
namespace detail {

std::vector<double> device_tile_squared_norms(const std::vector<double>& A,
                                              const std::vector<double>& B, int batch, int T, int M);

}  // namespace detail
}  // namespace amf
