#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "amf/error.hpp"
#include "amf/torch/finetune.hpp"
#include "torch/dropout_masks.hpp"
#include "torch/training.hpp"

namespace amf {

void validate(const FinetuneConfig& c) {
  if (!(std::isfinite(c.learning_rate) && c.learning_rate > 0))
    throw InvalidArgument("FinetuneConfig.learning_rate must be a finite number > 0");
  if (c.batch_size < 1) throw InvalidArgument("FinetuneConfig.batch_size must be >= 1");
  if (c.epochs < 0) throw InvalidArgument("FinetuneConfig.epochs must be >= 0");
  if (c.steps_per_round < 0) throw InvalidArgument("FinetuneConfig.steps_per_round must be >= 0");
  if (!(std::isfinite(c.weight_decay) && c.weight_decay >= 0))
    throw InvalidArgument("FinetuneConfig.weight_decay must be a finite number >= 0");
  resolve_device(c.device);
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) throw InvalidArgument("device 'cuda' requested but LibTorch sees no CUDA device");
    return torch::kCUDA;
  }
  throw InvalidArgument("device '" + name + "' is unknown (choose auto, cpu or cuda)");
}

BcData make_bc_data(const Dataset& d) {
  const int ds = d.state_dim(), da = d.action_dim(), dc = d.task_dim();
  const std::int64_t n = d.total_steps();
  auto x = torch::empty({n, ds + dc}, torch::kFloat64), a = torch::empty({n, da}, torch::kFloat64);
  auto X = x.accessor<double, 2>();
  auto A = a.accessor<double, 2>();
  std::int64_t r = 0;
  for (const auto& t : d.trajectories()) {
    const std::int64_t steps = static_cast<std::int64_t>(t.states.size()) / ds;
    for (std::int64_t s = 0; s < steps; ++s, ++r) {
      for (int k = 0; k < ds; ++k) X[r][k] = t.states[s * ds + k];
      for (int k = 0; k < dc; ++k) X[r][ds + k] = t.task[k];
      for (int k = 0; k < da; ++k) A[r][k] = t.actions[s * da + k];
    }
  }
  return {x, a, dc};
}

BcData select_rows(const BcData& data, const torch::Tensor& rows) {
  const auto idx = rows.to(data.inputs.device(), torch::kLong);
  return {data.inputs.index_select(0, idx), data.actions.index_select(0, idx), data.task_dim};
}

void check_bc_data(const BcData& d, int input_dim, int action_dim, const std::string& who) {
  if (!d.inputs.defined() || !d.actions.defined()) throw InvalidArgument(who + ": the data has no inputs or actions");
  if (d.inputs.dim() != 2 || d.actions.dim() != 2)
    throw InvalidArgument(who + ": inputs and actions must be 2-D, got " + std::to_string(d.inputs.dim()) + "-D and " +
                          std::to_string(d.actions.dim()) + "-D");
  if (d.inputs.size(0) != d.actions.size(0))
    throw InvalidArgument(who + ": " + std::to_string(d.inputs.size(0)) + " input rows but " +
                          std::to_string(d.actions.size(0)) + " action rows");
  if (d.actions.size(1) != action_dim)
    throw InvalidArgument(who + ": the policy outputs " + std::to_string(action_dim) + " action dimensions, the data has " +
                          std::to_string(d.actions.size(1)));
  if (d.inputs.size(1) != input_dim)
    throw InvalidArgument(who + ": the policy takes " + std::to_string(input_dim) + " inputs (state + task), the data has " +
                          std::to_string(d.inputs.size(1)));
  if (d.task_dim < 1 || d.task_dim >= input_dim)
    throw InvalidArgument(who + ": task_dim " + std::to_string(d.task_dim) + " must be in [1, " +
                          std::to_string(input_dim - 1) + "]");
  if (!torch::isfinite(d.inputs).all().item<bool>()) throw InvalidArgument(who + ": the inputs contain NaN or infinity");
  if (!torch::isfinite(d.actions).all().item<bool>()) throw InvalidArgument(who + ": the actions contain NaN or infinity");
}

std::vector<double> behaviour_clone(MlpPolicy& policy, const BcData& data, const FinetuneConfig& config) {
  validate(config);
  const auto& pc = policy->config();
  check_bc_data(data, pc.input_dim, pc.action_dim, "behaviour_clone");
  const torch::Device device = resolve_device(config.device);
  policy->to(device);
  policy->train();
  const auto dtype = policy->parameters().front().scalar_type();
  const auto x = data.inputs.to(device, dtype), a = data.actions.to(device, dtype);
  // Dropout masks (pc.dropout > 0) from a generator of this call's own: LibTorch's global one is
  // shared by every thread. Seeded as torch::manual_seed was before, so the CPU masks are unchanged.
  at::Generator dropout_generator = detail::dropout_generator(device, config.seed);
  std::mt19937_64 rng(config.seed);
  torch::optim::Adam adam(policy->parameters(),
                          torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
  const std::int64_t n = data.size(), b = std::min<std::int64_t>(config.batch_size, n);
  std::vector<std::int64_t> order(n);
  std::vector<double> curve;
  for (int e = 0; e < config.epochs; ++e) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const auto perm = torch::from_blob(order.data(), {n}, torch::kLong).to(device);
    auto sum = torch::zeros({}, x.options());  // summed on the device: no sync per step
    for (std::int64_t r0 = 0; r0 < n; r0 += b) {
      const auto idx = perm.narrow(0, r0, std::min(b, n - r0));
      const auto y = policy->forward(x.index_select(0, idx), pc.dropout, dropout_generator);
      const auto loss = detail::bc_loss(y, a.index_select(0, idx));
      adam.zero_grad();
      loss.backward();
      adam.step();
      sum += loss.detach() * static_cast<double>(idx.size(0));
    }
    curve.push_back(sum.item<double>() / static_cast<double>(n));
  }
  return curve;
}

}  // namespace amf
