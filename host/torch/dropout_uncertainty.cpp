#include "amf/torch/dropout_uncertainty.hpp"

#include <algorithm>

#include "amf/error.hpp"
#include "torch/dropout_masks.hpp"

namespace amf {

torch::Tensor dropout_prior_variance(MlpPolicy& policy, const torch::Tensor& states, const torch::Tensor& tasks,
                                     int passes, double rate, std::uint64_t seed) {
  const auto& c = policy->config();
  if (passes < 2) throw InvalidArgument("dropout_prior_variance: passes must be >= 2");
  if (!(rate > 0 && rate < 1)) throw InvalidArgument("dropout_prior_variance: rate must be in (0, 1)");
  if (c.depth < 1) throw InvalidArgument("dropout_prior_variance: the policy has no hidden block to drop units of");
  if (!states.defined() || !tasks.defined() || states.dim() != 2 || tasks.dim() != 2 ||
      states.size(1) + tasks.size(1) != c.input_dim)
    throw InvalidArgument("dropout_prior_variance: states (N, ds) and tasks (K, dc) with ds + dc = " +
                          std::to_string(c.input_dim) + " (the policy's input size) are needed");
  if (states.size(0) < 1 || tasks.size(0) < 1) throw InvalidArgument("dropout_prior_variance: no states or no tasks");
  if (!torch::isfinite(states).all().item<bool>() || !torch::isfinite(tasks).all().item<bool>())
    throw InvalidArgument("dropout_prior_variance: the states or tasks contain NaN or infinity");
  const torch::Tensor ref = policy->parameters().front();
  const auto S = states.to(ref.device(), ref.scalar_type()), T = tasks.to(ref.device(), ref.scalar_type());
  const std::int64_t n = S.size(0), k = T.size(0);
  // Its own generator: LibTorch's global one is shared by, and reseeded from, every thread (a
  // study runs several jobs at a time). On the CPU whatever the policy's device, so a GPU run
  // uses the masks of a CPU run.
  at::Generator generator = detail::dropout_generator(torch::kCPU, seed);
  torch::NoGradGuard no_grad;
  auto out = torch::empty({k}, torch::kFloat64);
  // Tasks in chunks so that passes x chunk x N rows stay around 2^16.
  const std::int64_t chunk = std::max<std::int64_t>(1, (std::int64_t{1} << 16) / (n * passes));
  for (std::int64_t k0 = 0; k0 < k; k0 += chunk) {
    const std::int64_t m = std::min(chunk, k - k0);
    const auto x = torch::cat({S.repeat({m, 1}), T.narrow(0, k0, m).repeat_interleave(n, 0)}, 1);  // task-major
    const auto y = policy->forward(x.repeat({passes, 1}), rate, generator).view({passes, m * n, c.action_dim});
    const auto var = y.to(torch::kFloat64).var(0, /*unbiased=*/false).sum(1).view({m, n}).mean(1);
    out.narrow(0, k0, m).copy_(var.cpu());
  }
  return out;
}

std::vector<std::int64_t> max_variance_batch(const torch::Tensor& variances, int batch_size) {
  if (batch_size < 1) throw InvalidArgument("max_variance_batch: batch_size must be >= 1");
  if (!variances.defined() || variances.dim() != 1 || variances.numel() < 1)
    throw InvalidArgument("max_variance_batch: variances must be a non-empty 1-D tensor");
  const auto v = variances.to(torch::kCPU, torch::kFloat64);
  if (!torch::isfinite(v).all().item<bool>()) throw InvalidArgument("max_variance_batch: the variances contain NaN or infinity");
  return std::vector<std::int64_t>(batch_size, v.argmax().item<std::int64_t>());
}

}  // namespace amf
