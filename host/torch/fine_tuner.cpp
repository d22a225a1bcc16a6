#include "amf/torch/fine_tuner.hpp"

#include <algorithm>
#include <cmath>

#include "amf/error.hpp"
#include "amf/torch/forgetting_penalty.hpp"
#include "torch/dropout_masks.hpp"
#include "torch/training.hpp"

namespace amf {

Forgetting parse_forgetting(const std::string& name) {
  if (name == "none") return Forgetting::None;
  if (name == "parameter-isolation") return Forgetting::ParameterIsolation;
  if (name == "l2") return Forgetting::L2;
  if (name == "ewc") return Forgetting::Ewc;
  throw InvalidArgument("forgetting strategy '" + name + "' is unknown (choose none, parameter-isolation, l2 or ewc)");
}

std::string to_string(Forgetting kind) {
  switch (kind) {
    case Forgetting::None: return "none";
    case Forgetting::ParameterIsolation: return "parameter-isolation";
    case Forgetting::L2: return "l2";
    case Forgetting::Ewc: return "ewc";
  }
  return "?";
}

namespace {

std::vector<torch::Tensor> to_device(std::vector<torch::Tensor> ts, const torch::Device& device, torch::ScalarType dtype) {
  for (auto& t : ts) t = t.to(device, dtype).contiguous();
  return ts;
}

}  // namespace

FineTuner::FineTuner(MlpPolicy& pretrained, const ForgettingConfig& forgetting, const FinetuneConfig& config,
                     const BcData& pretraining)
    : policy_config_(pretrained->config()), forgetting_(forgetting), config_(config), rng_(config.seed) {
  validate(config);
  device_ = resolve_device(config.device);
  const auto dtype = pretrained->parameters().front().scalar_type();
  int copies = 1;
  if (forgetting.kind == Forgetting::ParameterIsolation) {
    if (!forgetting.centres.defined())
      throw InvalidArgument("FineTuner: parameter isolation needs the partition centres (ForgettingConfig.centres)");
    partition_.emplace(forgetting.centres);
    if (partition_->task_dim() >= policy_config_.input_dim)
      throw InvalidArgument("FineTuner: partition centres of dimension " + std::to_string(partition_->task_dim()) +
                            " for a policy with " + std::to_string(policy_config_.input_dim) + " inputs");
    copies = partition_->size();
  }
  if ((forgetting.kind == Forgetting::L2 || forgetting.kind == Forgetting::Ewc) &&
      !(std::isfinite(forgetting.lambda) && forgetting.lambda >= 0))
    throw InvalidArgument("FineTuner: ForgettingConfig.lambda must be a finite number >= 0");
  theta0_ = to_device(stack_copies(pretrained, 1), device_, dtype);
  params_ = to_device(stack_copies(pretrained, copies), device_, dtype);
  if (forgetting.kind == Forgetting::Ewc) {
    if (pretraining.size() == 0) throw InvalidArgument("FineTuner: EWC needs the pre-training data for its Fisher");
    fisher_ = diagonal_fisher(pretrained, pretraining);
    for (auto& f : fisher_) f = f.unsqueeze(0);
    fisher_ = to_device(fisher_, device_, dtype);
  }
}

torch::Tensor FineTuner::partition_of(const torch::Tensor& tasks) const {
  if (partition_) return partition_->assign(tasks);
  if (!tasks.defined() || tasks.dim() != 2) throw InvalidArgument("FineTuner::partition_of: tasks must be 2-D");
  return torch::zeros({tasks.size(0)}, torch::kLong);
}

std::vector<double> FineTuner::fine_tune(const BcData& data) { return fine_tune(data, config_.steps_per_round); }

std::vector<double> FineTuner::fine_tune(const BcData& data, int steps) {
  if (steps < 0) throw InvalidArgument("FineTuner::fine_tune: steps = " + std::to_string(steps) + " (must be >= 0)");
  check_bc_data(data, policy_config_.input_dim, policy_config_.action_dim, "FineTuner::fine_tune");
  if (partition_ && data.task_dim != partition_->task_dim())
    throw InvalidArgument("FineTuner::fine_tune: the data has tasks of dimension " + std::to_string(data.task_dim) +
                          ", the partition centres " + std::to_string(partition_->task_dim()));
  if (data.size() == 0 || steps == 0) return {};
  // Rows of every partition; only partitions with rows are trained (and touched at all).
  const auto part = partition_of(data.tasks());
  const auto pa = part.accessor<std::int64_t, 1>();
  std::vector<std::vector<std::int64_t>> rows(partitions());
  for (std::int64_t r = 0; r < part.size(0); ++r) rows[pa[r]].push_back(r);
  std::vector<std::int64_t> active;
  std::size_t largest = 0;
  for (int p = 0; p < partitions(); ++p)
    if (!rows[p].empty()) {
      active.push_back(p);
      largest = std::max(largest, rows[p].size());
    }
  const std::int64_t A = static_cast<std::int64_t>(active.size());
  const std::int64_t B = std::min<std::int64_t>(config_.batch_size, static_cast<std::int64_t>(largest));
  const auto dtype = params_.front().scalar_type();
  const auto x = data.inputs.to(device_, dtype), a = data.actions.to(device_, dtype);
  const auto act = torch::tensor(active, torch::kLong).to(device_);
  std::vector<torch::Tensor> leaves;
  for (const auto& p : params_) leaves.push_back(p.index_select(0, act).detach().requires_grad_(true));
  torch::optim::Adam adam(leaves, torch::optim::AdamOptions(config_.learning_rate).weight_decay(config_.weight_decay));
  // Dropout masks from a generator of this round's own, not LibTorch's global one (shared by
  // every thread), with the seed torch::manual_seed got here before: the same CPU masks.
  const std::uint64_t round_seed = config_.seed + 0x9E3779B97F4A7C15ULL * ++rounds_;
  at::Generator dropout_generator = detail::dropout_generator(device_, round_seed);
  const bool penalised = forgetting_.kind == Forgetting::L2 || forgetting_.kind == Forgetting::Ewc;
  std::vector<std::int64_t> idx(A * B);
  std::vector<torch::Tensor> losses;
  for (int s = 0; s < steps; ++s) {
    for (std::int64_t c = 0; c < A; ++c) {
      const auto& mine = rows[active[c]];
      std::uniform_int_distribution<std::size_t> pick(0, mine.size() - 1);
      for (std::int64_t j = 0; j < B; ++j) idx[c * B + j] = mine[pick(rng_)];
    }
    const auto I = torch::tensor(idx, torch::kLong).to(device_);
    const auto xb = x.index_select(0, I).view({A, B, x.size(1)});
    const auto ab = a.index_select(0, I).view({A, B, a.size(1)});
    auto loss = detail::stacked_bc_loss(stacked_forward(policy_config_, leaves, xb, /*train=*/true, &dropout_generator), ab);
    if (penalised)
      loss = loss + forgetting_penalty(leaves, theta0_, forgetting_.kind == Forgetting::Ewc ? fisher_ : std::vector<torch::Tensor>{},
                                       forgetting_.lambda);
    adam.zero_grad();
    loss.backward();
    adam.step();
    losses.push_back(loss.detach());
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) params_[i].index_copy_(0, act, leaves[i].detach());
  const auto curve = torch::stack(losses).to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(curve.data_ptr<double>(), curve.data_ptr<double>() + curve.numel());
}

torch::Tensor FineTuner::predict(const torch::Tensor& inputs) {
  const int d = policy_config_.input_dim;
  if (!inputs.defined() || inputs.dim() != 2 || inputs.size(1) != d)
    throw InvalidArgument("FineTuner::predict: inputs must be (N, " + std::to_string(d) + ")");
  if (!torch::isfinite(inputs).all().item<bool>()) throw InvalidArgument("FineTuner::predict: the inputs contain NaN or infinity");
  torch::NoGradGuard no_grad;
  const auto x = inputs.to(device_, params_.front().scalar_type());
  if (partitions() == 1) return stacked_forward(policy_config_, params_, x.unsqueeze(0)).squeeze(0).to(inputs.device());
  const int dc = partition_->task_dim();
  const auto part = partition_of(inputs.narrow(1, d - dc, dc)).to(device_);
  auto out = torch::empty({x.size(0), policy_config_.action_dim}, x.options());
  for (int p = 0; p < partitions(); ++p) {
    const auto rows = (part == p).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    std::vector<torch::Tensor> mine;
    for (const auto& t : params_) mine.push_back(t.narrow(0, p, 1));
    out.index_copy_(0, rows, stacked_forward(policy_config_, mine, x.index_select(0, rows).unsqueeze(0)).squeeze(0));
  }
  return out.to(inputs.device());
}

MlpPolicy FineTuner::policy(int partition) const { return unstack_copy(policy_config_, params_, partition); }

FineTuner FineTuner::clone() const {
  FineTuner c;
  c.policy_config_ = policy_config_;
  c.forgetting_ = forgetting_;
  c.config_ = config_;
  c.partition_ = partition_;
  c.device_ = device_;
  for (const auto& t : params_) c.params_.push_back(t.clone());
  for (const auto& t : theta0_) c.theta0_.push_back(t.clone());
  for (const auto& t : fisher_) c.fisher_.push_back(t.clone());
  c.rng_ = rng_;
  c.rounds_ = rounds_;
  return c;
}

}  // namespace amf
