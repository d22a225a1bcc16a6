#include "amf/torch/head_finetune.hpp"

#include <algorithm>
#include <random>

#include "amf/error.hpp"
#include "torch/training.hpp"

namespace amf {

std::vector<double> fine_tune_head(TorchScriptPolicy& policy, const BcData& data, const FinetuneConfig& config) {
  validate(config);
  auto head = policy.head_parameters();
  auto& weight = head[0];
  auto& bias = head[1];
  if (weight.dim() != 2 || bias.dim() != 1 || bias.size(0) != weight.size(0))
    throw InvalidArgument(policy.path() + ": the head's weight must be (da, H) and its bias (da)");
  const int da = static_cast<int>(weight.size(0));
  if (!data.inputs.defined() || data.inputs.dim() != 2)
    throw InvalidArgument("fine_tune_head: the inputs must be a 2-D tensor");
  check_bc_data(data, static_cast<int>(data.inputs.size(1)), da, "fine_tune_head (" + policy.path() + ")");
  if (data.size() == 0 || config.steps_per_round == 0) return {};
  const torch::Device device = resolve_device(config.device);
  torch::Tensor h;
  {
    torch::NoGradGuard no_grad;
    h = policy.trunk(data.inputs);
  }
  if (h.dim() != 2 || h.size(0) != data.size() || h.size(1) != weight.size(1))
    throw InvalidArgument(policy.path() + ": trunk(x) returned " + std::to_string(h.dim() == 2 ? h.size(1) : -1) +
                          " features per row, the head takes " + std::to_string(weight.size(1)));
  const auto dtype = weight.scalar_type();
  h = h.to(device, dtype);
  const auto a = data.actions.to(device, dtype);
  auto W = weight.detach().to(device).clone().requires_grad_(true);
  auto b = bias.detach().to(device).clone().requires_grad_(true);
  torch::optim::Adam adam(std::vector<torch::Tensor>{W, b},
                          torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
  std::mt19937_64 rng(config.seed);
  const std::int64_t n = data.size(), B = std::min<std::int64_t>(config.batch_size, n);
  std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
  std::vector<std::int64_t> idx(B);
  std::vector<torch::Tensor> losses;
  for (int s = 0; s < config.steps_per_round; ++s) {
    for (auto& i : idx) i = pick(rng);
    const auto I = torch::tensor(idx, torch::kLong).to(device);
    const auto loss = detail::bc_loss(torch::addmm(b, h.index_select(0, I), W.t()), a.index_select(0, I));
    adam.zero_grad();
    loss.backward();
    adam.step();
    losses.push_back(loss.detach());
  }
  torch::NoGradGuard no_grad;
  weight.copy_(W);  // into the module's own tensors
  bias.copy_(b);
  const auto curve = torch::stack(losses).to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(curve.data_ptr<double>(), curve.data_ptr<double>() + curve.numel());
}

}  // namespace amf
