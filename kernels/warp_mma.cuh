#pragma once
// One warp's 8 x 8 x 4 float64 matrix-multiply-accumulate, the building block of the fused
// kernel's cross-covariance GEMMs. On sm_80 and later it is the FP64 tensor-core instruction
// (DMMA) through nvcuda::wmma: IEEE float64 fused multiply-adds, the same precision as the CUDA
// cores, about twice their rate on H100. Elsewhere (older devices, and the CPU block emulator the
// tests run) a portable version with the same interface: every lane keeps whole copies of the
// 8 x 4 and 4 x 8 operands and computes its own two accumulator elements, so no lane needs
// another's data and the emulator can run the lanes as independent fibers.
//
// Layouts (as wmma defines them): A is 8 x 4 row-major (element (r, k) at p[r ld + k]); B is
// 4 x 8 column-major (element (k, c) at p[c ld + k]); the accumulator is stored column-major
// (element (r, c) at p[c ld + r]) or row-major (at p[r ld + c]). wmma wants ld a multiple of 2 doubles and 32-byte aligned
// fragment pointers. An accumulator's elements are opaque, but two accumulators of this shape
// hold the same (r, c) at the same index, so element-wise products between them are well defined.
#include "block_program.cuh"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#include <mma.h>
#define AMF_WARP_MMA_TENSOR_CORES 1
#endif

namespace amf {
namespace warp_mma {

#if defined(AMF_WARP_MMA_TENSOR_CORES)

struct FragA {
  nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 8, 8, 4, double, nvcuda::wmma::row_major> f;
};
struct FragB {
  nvcuda::wmma::fragment<nvcuda::wmma::matrix_b, 8, 8, 4, double, nvcuda::wmma::col_major> f;
};
struct Acc {
  nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 8, 8, 4, double> f;
  __device__ int size() const { return f.num_elements; }
  __device__ double& operator[](int i) { return f.x[i]; }
  __device__ double operator[](int i) const { return f.x[i]; }
};

__device__ inline void load_a(FragA& a, const double* p, int ld, int) { nvcuda::wmma::load_matrix_sync(a.f, p, ld); }
__device__ inline void load_b(FragB& b, const double* p, int ld, int) { nvcuda::wmma::load_matrix_sync(b.f, p, ld); }
__device__ inline void zero(Acc& c) { nvcuda::wmma::fill_fragment(c.f, 0.0); }
__device__ inline void mma(Acc& d, const FragA& a, const FragB& b, int) { nvcuda::wmma::mma_sync(d.f, a.f, b.f, d.f); }
__device__ inline void store_col_major(double* p, const Acc& c, int ld, int) {
  nvcuda::wmma::store_matrix_sync(p, c.f, ld, nvcuda::wmma::mem_col_major);
}
__device__ inline void store_row_major(double* p, const Acc& c, int ld, int) {
  nvcuda::wmma::store_matrix_sync(p, c.f, ld, nvcuda::wmma::mem_row_major);
}

#else

struct FragA {
  double v[8 * 4];  // (r, k) at v[r 4 + k]
};
struct FragB {
  double v[4 * 8];  // (k, c) at v[k 8 + c]
};
// Lane l holds tile elements 2l and 2l + 1 in row-major order: (r, c) = (e / 8, e % 8).
struct Acc {
  double v[2];
  AMF_HD int size() const { return 2; }
  AMF_HD double& operator[](int i) { return v[i]; }
  AMF_HD double operator[](int i) const { return v[i]; }
};

// wmma's contract (ld even, fragment pointers 32-byte aligned), checked by the CPU emulator for
// pointers into its shared memory, so a layout that would fault on a device fails a CPU test.
AMF_HD void check_fragment(const double* p, int ld) {
#if !defined(__CUDA_ARCH__)
  emu::check_fragment_alignment(p, ld);
#else
  (void)p;
  (void)ld;
#endif
}

AMF_HD void load_a(FragA& a, const double* p, int ld, int) {
  check_fragment(p, ld);
  for (int r = 0; r < 8; ++r)
    for (int k = 0; k < 4; ++k) a.v[r * 4 + k] = p[r * ld + k];
}
AMF_HD void load_b(FragB& b, const double* p, int ld, int) {
  check_fragment(p, ld);
  for (int k = 0; k < 4; ++k)
    for (int c = 0; c < 8; ++c) b.v[k * 8 + c] = p[c * ld + k];
}
AMF_HD void zero(Acc& c) { c.v[0] = c.v[1] = 0.0; }
AMF_HD void mma(Acc& d, const FragA& a, const FragB& b, int lane) {
  for (int i = 0; i < 2; ++i) {
    const int e = 2 * lane + i, r = e / 8, c = e % 8;
    double s = d.v[i];
    for (int k = 0; k < 4; ++k) s += a.v[r * 4 + k] * b.v[k * 8 + c];
    d.v[i] = s;
  }
}
AMF_HD void store_col_major(double* p, const Acc& c, int ld, int lane) {
  check_fragment(p, ld);
  for (int i = 0; i < 2; ++i) {
    const int e = 2 * lane + i;
    p[(e % 8) * ld + e / 8] = c.v[i];
  }
}
AMF_HD void store_row_major(double* p, const Acc& c, int ld, int lane) {
  check_fragment(p, ld);
  for (int i = 0; i < 2; ++i) {
    const int e = 2 * lane + i;
    p[(e / 8) * ld + e % 8] = c.v[i];
  }
}

#endif

}  // namespace warp_mma
}  // namespace amf
