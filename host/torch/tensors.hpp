#pragma once
// Small LibTorch helpers shared by the LibTorch implementations: views to tensors, and the lower
// triangular solve they all use.
#include <torch/torch.h>

#include "amf/view.hpp"

namespace amf {
namespace detail {

// The LibTorch implementations materialise blocks of at most this many bytes at a time.
constexpr double kTorchChunkBytes = 512.0 * 1024 * 1024;

// A float64 copy of a (strided) view, on `device`.
inline torch::Tensor to_tensor(const MatrixView<double>& m, const torch::Device& device = torch::kCPU) {
  auto t = torch::empty({m.rows, m.cols}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) a[r][c] = m(r, c);
  return t.to(device);
}

// L^-1 B for a lower triangular L (batched over leading dimensions). The ATen function
// torch::linalg_solve_triangular, not torch::linalg::solve_triangular: LibTorch 2.10 dropped the
// torch/linalg.h wrappers (the same holds for torch::linalg_cholesky in the criteria).
inline torch::Tensor lower_solve(const torch::Tensor& L, const torch::Tensor& B) {
  return torch::linalg_solve_triangular(L, B, /*upper=*/false, /*left=*/true, /*unitriangular=*/false);
}

}  // namespace detail
}  // namespace amf
