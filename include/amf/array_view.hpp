#pragma once
// A view of caller memory that says where it lives and what it holds: the form in which a trainer
// hands amf arrays it already has (float32 or float64, in host memory or on a CUDA device), so
// nothing is copied or converted until a backend needs it. Same layout convention as view.hpp:
// `rows x cols`, row-major, `row_stride` elements between rows; a 1-D array is a column
// (`n x 1`). Never owns or copies.
//
// Who reads what (Backend::open_session resolves views before a session sees them):
//   - host float64: read in place by every backend;
//   - host float32: converted to float64 once per session (the criterion's arithmetic is float64,
//     docs/precision.md; the inputs' own float32 rounding is the only extra error);
//   - CUDA, either type: features stay on the device for the CUDA backend (gathered and widened
//     to float64 there); log-probabilities, and anything a CPU backend reads, are copied to host
//     float64 (O(candidates x pool steps), small next to the features).
#include <cstdint>
#include <string>
#include <vector>

#include "amf/view.hpp"

namespace amf {

enum class ElementType { Float32, Float64 };
enum class MemorySpace { Host, Cuda };

const char* to_string(ElementType type);
const char* to_string(MemorySpace space);

struct ArrayView {
  const void* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t row_stride = 0;  // in elements
  ElementType type = ElementType::Float64;
  MemorySpace space = MemorySpace::Host;
  int device = -1;  // the CUDA device of a Cuda view; -1 for host memory

  ArrayView() = default;
  // Host float64 views convert implicitly: every existing caller of the engine keeps compiling.
  ArrayView(const MatrixView<double>& m)  // NOLINT(google-explicit-constructor)
      : ArrayView(m.data, m.rows, m.cols, m.row_stride, ElementType::Float64, MemorySpace::Host, -1) {}
  ArrayView(const MatrixView<float>& m)  // NOLINT(google-explicit-constructor)
      : ArrayView(m.data, m.rows, m.cols, m.row_stride, ElementType::Float32, MemorySpace::Host, -1) {}
  ArrayView(const VectorView<double>& v)  // NOLINT(google-explicit-constructor)
      : ArrayView(v.data, v.size, 1, 1, ElementType::Float64, MemorySpace::Host, -1) {}
  ArrayView(const VectorView<float>& v)  // NOLINT(google-explicit-constructor)
      : ArrayView(v.data, v.size, 1, 1, ElementType::Float32, MemorySpace::Host, -1) {}
  // A host matrix, as MatrixView's constructor takes it ({data, rows, cols} brace-initialises one).
  ArrayView(const double* d, std::int64_t r, std::int64_t c, std::int64_t stride = -1)  // NOLINT
      : ArrayView(MatrixView<double>(d, r, c, stride)) {}
  ArrayView(const float* d, std::int64_t r, std::int64_t c, std::int64_t stride = -1)  // NOLINT
      : ArrayView(MatrixView<float>(d, r, c, stride)) {}
  ArrayView(const std::vector<double>& v) : ArrayView(VectorView<double>(v)) {}  // NOLINT
  ArrayView(std::vector<double>&&) = delete;  // would dangle
  ArrayView(const void* d, std::int64_t r, std::int64_t c, std::int64_t stride, ElementType t, MemorySpace s, int dev)
      : data(d), rows(r), cols(c), row_stride(stride < 0 ? c : stride), type(t), space(s), device(dev) {}

  // Device memory: a pointer the CUDA runtime gave for `device` (a torch CUDA tensor's data_ptr).
  static ArrayView cuda(const float* d, std::int64_t r, std::int64_t c, int device, std::int64_t stride = -1) {
    return ArrayView(d, r, c, stride, ElementType::Float32, MemorySpace::Cuda, device);
  }
  static ArrayView cuda(const double* d, std::int64_t r, std::int64_t c, int device, std::int64_t stride = -1) {
    return ArrayView(d, r, c, stride, ElementType::Float64, MemorySpace::Cuda, device);
  }

  bool empty() const { return rows == 0 || cols == 0; }
  std::size_t element_bytes() const { return type == ElementType::Float32 ? 4 : 8; }
  bool is_host_float64() const { return space == MemorySpace::Host && type == ElementType::Float64; }
  // "cuda:0 float32 [128 x 64, row stride 64]": how errors name a view.
  std::string describe() const;

  // Engine code reads views as host float64, which Backend::open_session guarantees; asking for
  // anything else is a bug in amf, reported as amf::Error naming `what`.
  MatrixView<double> host_matrix(const char* what) const;
  VectorView<double> host_vector(const char* what) const;  // an n x 1 column with unit stride

  // Checks the metadata (shape, stride, null data, device id, a 1-D view being one column) and
  // throws amf::InvalidArgument naming `what`. The contents are checked where they are read.
  void validate(const char* what) const;
};

// A host float64 copy of any view: float32 widened, a CUDA view copied from its device (amf::Error
// in a build without CUDA). `dest` holds rows x cols elements, compact.
void copy_to_host_float64(const ArrayView& view, double* dest, const char* what);

}  // namespace amf
