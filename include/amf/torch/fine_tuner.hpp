#pragma once
// Per-round fine-tuning of a pre-trained MLP policy with a forgetting strategy (paper section
// 4.2, appendix G): none, parameter isolation, L2 to the pre-trained parameters, or EWC.
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "amf/torch/finetune.hpp"
#include "amf/torch/parameter_isolation.hpp"
#include "amf/torch/torch_policy.hpp"

namespace amf {

enum class Forgetting { None, ParameterIsolation, L2, Ewc };

// "none" | "parameter-isolation" | "l2" | "ewc"; amf::InvalidArgument naming the name otherwise.
Forgetting parse_forgetting(const std::string& name);
std::string to_string(Forgetting kind);

struct ForgettingConfig {
  Forgetting kind = Forgetting::None;
  double lambda = 0.0;    // L2 and EWC: weight of the penalty (forgetting_penalty)
  torch::Tensor centres;  // parameter isolation: (P, task_dim) partition centres
};

// Owns the pre-trained parameters theta_0 and the fine-tuned ones: one copy per partition under
// parameter isolation, a single copy otherwise, stacked (P, ...) either way, so every strategy
// trains through the same batched step. The caller's policy is copied, never modified.
class FineTuner {
 public:
  // EWC needs `pretraining` (its Fisher is computed from it once, here); the other strategies
  // ignore it. The parameters move to config.device.
  FineTuner(MlpPolicy& pretrained, const ForgettingConfig& forgetting, const FinetuneConfig& config,
            const BcData& pretraining = {});
  FineTuner(FineTuner&&) = default;
  FineTuner& operator=(FineTuner&&) = default;

  // config.steps_per_round Adam steps (a fresh optimiser per call) on `data`, the training set
  // of this round. Under parameter isolation every row trains only the copy of its task's
  // partition, all copies with data in one batched step; copies of partitions without rows are
  // left bit-identical. Each step draws min(batch_size, largest partition's rows) rows per
  // copy, with replacement, from the seeded generator. Returns the loss of every step (the mean
  // BC loss per copy summed over the trained copies, plus the penalty).
  std::vector<double> fine_tune(const BcData& data);
  // The same with `steps` Adam steps instead of config.steps_per_round (>= 0).
  std::vector<double> fine_tune(const BcData& data, int steps);

  // Actions for (N, input_dim) inputs, each row through the copy of its task's partition.
  torch::Tensor predict(const torch::Tensor& inputs);

  int partitions() const { return static_cast<int>(params_.front().size(0)); }
  // Partition of each task row (all zeros without parameter isolation).
  torch::Tensor partition_of(const torch::Tensor& tasks) const;
  // One copy as its own MlpPolicy, e.g. for the selection features (NnSelectionInputs).
  MlpPolicy policy(int partition = 0) const;

  const MlpPolicyConfig& policy_config() const { return policy_config_; }
  const ForgettingConfig& forgetting() const { return forgetting_; }
  const std::vector<torch::Tensor>& parameters() const { return params_; }      // (P, ...)
  const std::vector<torch::Tensor>& pretrained() const { return theta0_; }      // (1, ...)
  const std::vector<torch::Tensor>& fisher() const { return fisher_; }          // (1, ...); EWC only

  // A deep copy (parameters, strategy state and generator): the warm start's selection copy,
  // trained from then on without the held-back demonstrations (amf/torch/warm_start.hpp).
  FineTuner clone() const;

 private:
  FineTuner() = default;
  MlpPolicyConfig policy_config_;
  ForgettingConfig forgetting_;
  FinetuneConfig config_;
  std::optional<TaskPartition> partition_;
  torch::Device device_ = torch::kCPU;
  std::vector<torch::Tensor> params_, theta0_, fisher_;
  std::mt19937_64 rng_;
  std::uint64_t rounds_ = 0;
};

}  // namespace amf
