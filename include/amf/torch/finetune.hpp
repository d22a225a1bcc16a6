#pragma once
// Behaviour cloning of the MLP policy (libamf_torch): the training data as (input, action)
// tensors, the optimiser settings shared by pre-training and per-round fine-tuning, and
// pre-training itself. Fine-tuning with a forgetting strategy is in amf/torch/fine_tuner.hpp.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "amf/dataset.hpp"
#include "amf/torch/torch_policy.hpp"

namespace amf {

struct FinetuneConfig {
  double learning_rate = 1e-3;  // Adam
  int batch_size = 256;
  int epochs = 100;             // behaviour-cloning pre-training: passes over the data
  int steps_per_round = 200;    // fine-tuning: Adam steps per call of FineTuner::fine_tune
  double weight_decay = 0.0;    // Adam's (L2 on the gradient), not a forgetting penalty
  std::string device = "auto";  // auto | cpu | cuda
  std::uint64_t seed = 0;       // parameter-free randomness: minibatch order, dropout masks
};

// Checks every field (amf::InvalidArgument naming the field otherwise).
void validate(const FinetuneConfig& config);

// "auto": CUDA when torch::cuda::is_available(), else the CPU; "cpu"; "cuda" (an error when no
// device is visible). amf::InvalidArgument for any other name.
torch::Device resolve_device(const std::string& name);

// Behaviour-cloning data: row i is x_i = [state_i, task_i] and the expert's action a_i.
struct BcData {
  torch::Tensor inputs;   // (N, state_dim + task_dim)
  torch::Tensor actions;  // (N, action_dim)
  int task_dim = 0;       // the task is the last task_dim columns of inputs

  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
  torch::Tensor tasks() const { return inputs.narrow(1, inputs.size(1) - task_dim, task_dim); }
};

// Every step of every trajectory, float64 on the CPU.
BcData make_bc_data(const Dataset& dataset);
// The rows of `data` in `rows` (a subset, e.g. one partition's).
BcData select_rows(const BcData& data, const torch::Tensor& rows);

// Checks that data fits a policy with this input and action size: 2-D tensors, the same number
// of rows, input_dim and action_dim columns, 0 < task_dim < input_dim, no NaN or infinity.
// `who` starts the message. amf::InvalidArgument names the mismatching sizes.
void check_bc_data(const BcData& data, int input_dim, int action_dim, const std::string& who);

// Pre-trains `policy` in place by behaviour cloning: `epochs` passes over the data in minibatches
// of batch_size rows (a fresh permutation per epoch from the seed), Adam on the mean squared
// error 0.5 |f(x) - a|^2 summed over action dimensions. On the configured device; the policy
// is moved there and stays there, in its own dtype. Returns the mean training loss of every
// epoch. Deterministic for a seed on the CPU.
std::vector<double> behaviour_clone(MlpPolicy& policy, const BcData& data, const FinetuneConfig& config);

}  // namespace amf
