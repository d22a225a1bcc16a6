#pragma once
// Parameter isolation (paper section 4.2): the task space is partitioned, one copy of the
// fine-tuned parameters is kept per partition, and a task is served by the copy of its nearest
// partition centre. The copies are stacked along a leading dimension so that all of them run in
// one batched forward and backward pass (bmm), each on its own rows.
#include <torch/torch.h>

#include <vector>

#include "amf/torch/torch_policy.hpp"

namespace amf {

// Nearest-centre partition of the task space.
class TaskPartition {
 public:
  // centres: (P, task_dim), finite, P >= 1. Kept as float64 on the CPU.
  explicit TaskPartition(const torch::Tensor& centres);
  int size() const { return static_cast<int>(centres_.size(0)); }
  int task_dim() const { return static_cast<int>(centres_.size(1)); }
  const torch::Tensor& centres() const { return centres_; }
  // (N, task_dim) -> (N) int64 on the CPU: index of the nearest centre (Euclidean; ties go to
  // the lower index).
  torch::Tensor assign(const torch::Tensor& tasks) const;

 private:
  torch::Tensor centres_;
};

// The parameters of `policy` in the order of policy->parameters() (per hidden block the Linear
// weight and bias, then the LayerNorm weight and bias when present; the head's weight and bias
// last), each repeated `copies` times along a new leading dimension: detached clones.
std::vector<torch::Tensor> stack_copies(MlpPolicy& policy, int copies);

// Every copy's forward pass on its own rows: x (C, B, input_dim) -> (C, B, action_dim), where C
// is the leading size of the stacked parameters. Dropout (config.dropout) only when `train`, its
// masks from `generator` when given (a CPU generator or one on x's device, see
// MlpPolicy::forward), else from LibTorch's global generator.
torch::Tensor stacked_forward(const MlpPolicyConfig& config, const std::vector<torch::Tensor>& params,
                              const torch::Tensor& x, bool train = false, at::Generator* generator = nullptr);

// Copy c as its own MlpPolicy (same config, dtype and device).
MlpPolicy unstack_copy(const MlpPolicyConfig& config, const std::vector<torch::Tensor>& params, int copy);

}  // namespace amf
