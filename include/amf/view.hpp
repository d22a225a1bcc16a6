#pragma once
// Plain, non-owning views of caller memory. Convention (written once, used everywhere):
// a matrix is `rows x cols`, row-major, with `row_stride` elements between consecutive rows
// (row_stride == cols for compact data). Views never own or copy.
#include <cstdint>
#include <vector>

namespace amf {

template <typename T>
struct MatrixView {
  const T* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t row_stride = 0;

  MatrixView() = default;
  MatrixView(const T* d, std::int64_t r, std::int64_t c, std::int64_t stride = -1)
      : data(d), rows(r), cols(c), row_stride(stride < 0 ? c : stride) {}
  // A compact view of a std::vector holding rows * cols elements.
  static MatrixView of(const std::vector<T>& v, std::int64_t rows, std::int64_t cols) {
    return MatrixView(v.data(), rows, cols, cols);
  }
  static MatrixView of(std::vector<T>&&, std::int64_t, std::int64_t) = delete;  // would dangle

  const T& operator()(std::int64_t r, std::int64_t c) const { return data[r * row_stride + c]; }
  const T* row(std::int64_t r) const { return data + r * row_stride; }
  bool empty() const { return rows == 0 || cols == 0; }
};

template <typename T>
struct VectorView {
  const T* data = nullptr;
  std::int64_t size = 0;

  VectorView() = default;
  VectorView(const T* d, std::int64_t n) : data(d), size(n) {}
  VectorView(const std::vector<T>& v) : data(v.data()), size(static_cast<std::int64_t>(v.size())) {}  // NOLINT
  // A view of a temporary would dangle as soon as the statement ends.
  VectorView(std::vector<T>&&) = delete;
  const T& operator[](std::int64_t i) const { return data[i]; }
};

}  // namespace amf
