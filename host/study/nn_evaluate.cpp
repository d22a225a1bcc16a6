#include "study/nn_evaluate.hpp"

#include <torch/torch.h>

#include "amf/harness/environments.hpp"
#include "study/seed_mix.hpp"

namespace amf {

Evaluator::Evaluator(const std::string& env_name, int episodes) : episodes_(episodes) {
  const auto probe = make_environment(env_name);
  for (int i = 0; i < probe->num_tasks() * episodes; ++i) envs_.push_back(make_environment(env_name));
}

std::vector<double> Evaluator::success(FineTuner& policy, std::uint64_t seed) {
  const auto& first = *envs_.front();
  const int K = first.num_tasks(), ds = first.state_dim(), dc = first.task_dim(), da = first.action_dim();
  const auto rows = static_cast<std::int64_t>(envs_.size());
  std::vector<std::vector<double>> tasks(K);
  for (int k = 0; k < K; ++k) tasks[k] = first.task_vector(k);
  for (int k = 0; k < K; ++k)
    for (int e = 0; e < episodes_; ++e)
      envs_[k * episodes_ + e]->reset(tasks[k], detail::mix_seed(detail::mix_seed(seed, 300000 + k), e));
  auto x = torch::empty({rows, ds + dc}, torch::kFloat64);
  std::vector<double> action(da);
  for (int t = 0; t < first.horizon(); ++t) {
    auto xa = x.accessor<double, 2>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto& s = envs_[r]->state();
      for (int j = 0; j < ds; ++j) xa[r][j] = s[j];
      for (int j = 0; j < dc; ++j) xa[r][ds + j] = tasks[r / episodes_][j];
    }
    const auto a = policy.predict(x).to(torch::kCPU, torch::kFloat64).contiguous();
    const auto aa = a.accessor<double, 2>();
    for (std::int64_t r = 0; r < rows; ++r) {
      for (int j = 0; j < da; ++j) action[j] = aa[r][j];
      envs_[r]->step(action);
    }
  }
  std::vector<double> rate(K, 0.0);
  for (std::int64_t r = 0; r < rows; ++r) rate[r / episodes_] += envs_[r]->success() ? 1.0 / episodes_ : 0.0;
  return rate;
}

}  // namespace amf
