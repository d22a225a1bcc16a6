#pragma once
// Regularisation towards the pre-trained parameters theta_0 (paper appendix G): L2 and EWC.
#include <torch/torch.h>

#include <vector>

#include "amf/torch/finetune.hpp"
#include "amf/torch/torch_policy.hpp"

namespace amf {

// lambda * sum_i w_i (theta_i - theta0_i)^2 over every element of every parameter tensor, with
// w = 1 when `weights` is empty (L2 to the pre-trained parameters) or the diagonal Fisher (EWC;
// Kirkpatrick et al. write lambda/2, which a caller gets by halving lambda). Differentiable in
// `params`; theta0 and weights are constants. Shapes must match tensor by tensor.
torch::Tensor forgetting_penalty(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& theta0,
                                 const std::vector<torch::Tensor>& weights, double lambda);

// The diagonal empirical Fisher of the Gaussian behaviour-cloning likelihood (unit variance) on
// `data`, in the order of policy->parameters(): F = mean_n (d/d theta 0.5 |f(x_n) - a_n|^2)^2.
// Per-sample gradients are never materialised: each layer's squared gradient is a product of
// its squared inputs and squared back-propagated signals (loss_gradient_features). float64,
// on the CPU. The policy is evaluated as it is (call eval() on a dropout policy first).
std::vector<torch::Tensor> diagonal_fisher(MlpPolicy& policy, const BcData& data);

}  // namespace amf
