#pragma once
// Candidate feature rows gathered on the device from the caller's own arrays (amf::ArrayView in
// CUDA memory, float32 or float64) into the staging layout of gp/feature_staging.hpp: per block
// count x width float64, row-major. The element rule is __host__ __device__ (tile::gathered_value)
// so the CPU tests check exactly what the kernel computes; the kernel adds only the loop and the
// record of the first row holding a value that is not finite (NaN or inf in the caller's
// features, reported by the session at the end of the pass, as the host gather reports it).
#include <cstdint>

#if defined(__CUDACC__) || defined(AMF_HAVE_CUDA)
#include <cuda_runtime.h>
#endif

#include "tile_math.cuh"

namespace amf {
namespace tile {

// One source matrix: `stride` elements between rows, float32 when `single`.
struct GatherSource {
  const void* data = nullptr;
  std::int64_t stride = 0;
  bool single = false;
};

AMF_HD double gather_load(const GatherSource& s, std::int64_t row, std::int64_t col) {
  return s.single ? static_cast<double>(static_cast<const float*>(s.data)[row * s.stride + col])
                  : static_cast<const double*>(s.data)[row * s.stride + col];
}

// Element (i, c) of a gathered block: source row rows[i], column c; times the second source's
// element when it has one (a LayerNorm's delta o xhat). Widening float32 is exact; the product is
// one float64 multiplication, as the host gather does it.
AMF_HD double gathered_value(const GatherSource& a, const GatherSource& b, const std::int64_t* rows, std::int64_t i,
                             std::int64_t c) {
  const std::int64_t r = rows[i];
  const double v = gather_load(a, r, c);
  return b.data ? v * gather_load(b, r, c) : v;
}

}  // namespace tile

#if defined(__CUDACC__) || defined(AMF_HAVE_CUDA)
namespace kernels {

// dest[i * width + c] = tile::gathered_value(a, b, rows, i, c) for i < count, c < width, with
// `rows` in device memory. *first_bad (device memory, initialised by the caller to a value >=
// every row index) becomes the smallest source row holding a value that is not finite.
void gather_feature_block(double* dest, int width, tile::GatherSource a, tile::GatherSource b,
                          const std::int64_t* rows, std::int64_t count, unsigned long long* first_bad,
                          cudaStream_t stream);

}  // namespace kernels
#endif
}  // namespace amf
