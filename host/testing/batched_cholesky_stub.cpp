// Built when nvcc was not found.
#include "amf/error.hpp"
#include "testing/batched_tile.hpp"

namespace amf {
namespace detail {

std::vector<double> device_tile_squared_norms(const std::vector<double>&, const std::vector<double>&,
                                              int, int, int) {
  throw Error("device_tile_squared_norms: CUDA was not compiled into this build");
}

}  // namespace detail
}  // namespace amf
