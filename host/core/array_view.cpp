#include "amf/array_view.hpp"

#include <string>
#include <vector>

#include "amf/error.hpp"
#include "cuda/device_views.hpp"

namespace amf {

const char* to_string(ElementType type) { return type == ElementType::Float32 ? "float32" : "float64"; }
const char* to_string(MemorySpace space) { return space == MemorySpace::Cuda ? "cuda" : "host"; }

std::string ArrayView::describe() const {
  std::string where = space == MemorySpace::Cuda ? "cuda:" + std::to_string(device) : "host";
  return where + " " + to_string(type) + " [" + std::to_string(rows) + " x " + std::to_string(cols) +
         ", row stride " + std::to_string(row_stride) + "]";
}

MatrixView<double> ArrayView::host_matrix(const char* what) const {
  if (!is_host_float64())
    throw Error(std::string("amf internal: ") + what + " is read as host float64 but is " + describe() +
                " (it should have been resolved when the session opened)");
  return MatrixView<double>(static_cast<const double*>(data), rows, cols, row_stride);
}

VectorView<double> ArrayView::host_vector(const char* what) const {
  const MatrixView<double> m = host_matrix(what);
  if (m.rows > 0 && (m.cols != 1 || m.row_stride != 1))
    throw Error(std::string("amf internal: ") + what + " is read as a vector but is " + describe());
  return VectorView<double>(m.data, m.rows);
}

void ArrayView::validate(const char* what) const {
  const auto fail = [&](const std::string& why) {
    throw InvalidArgument(std::string(what) + " (" + describe() + "): " + why);
  };
  if (rows < 0 || cols < 0) fail("negative shape");
  if (row_stride < cols) fail("row stride is smaller than the row's width");
  if (!empty() && data == nullptr) fail("data is null");
  if (space == MemorySpace::Host) {
    if (device != -1) fail("a host view has device " + std::to_string(device) + " (must be -1)");
    return;
  }
  if (device < 0) fail("a CUDA view needs its device id (>= 0)");
  if (empty()) return;
  // Where the runtime can tell, the pointer must be memory of the view's device: a host pointer
  // labelled CUDA would otherwise fault inside a kernel, far from the mistake.
  const int owner = detail::device_of_pointer(data);
  if (owner == -1) fail("data is host memory, not memory of cuda:" + std::to_string(device));
  if (owner >= 0 && owner != device) fail("data is memory of cuda:" + std::to_string(owner));
}

void copy_to_host_float64(const ArrayView& view, double* dest, const char* what) {
  if (view.space == MemorySpace::Cuda) {
    detail::copy_cuda_view_to_host(view, dest, what);
    return;
  }
  for (std::int64_t r = 0; r < view.rows; ++r) {
    if (view.type == ElementType::Float64) {
      const double* src = static_cast<const double*>(view.data) + r * view.row_stride;
      for (std::int64_t c = 0; c < view.cols; ++c) dest[r * view.cols + c] = src[c];
    } else {
      const float* src = static_cast<const float*>(view.data) + r * view.row_stride;
      for (std::int64_t c = 0; c < view.cols; ++c) dest[r * view.cols + c] = src[c];
    }
  }
}

}  // namespace amf
