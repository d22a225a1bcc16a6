#pragma once
// The behaviour-cloning loss shared by pre-training, fine-tuning and head fine-tuning.
#include <torch/torch.h>

namespace amf {
namespace detail {

// mean_n 0.5 |y_n - a_n|^2 over rows (N, da).
inline torch::Tensor bc_loss(const torch::Tensor& y, const torch::Tensor& a) {
  return 0.5 * (y - a).pow(2).sum(1).mean();
}

// The same for stacked copies (C, B, da), summed over copies: each copy's gradient is that of
// its own mean loss.
inline torch::Tensor stacked_bc_loss(const torch::Tensor& y, const torch::Tensor& a) {
  return 0.5 * (y - a).pow(2).sum(2).mean(1).sum();
}

}  // namespace detail
}  // namespace amf
