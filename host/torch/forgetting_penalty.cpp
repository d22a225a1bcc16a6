#include "amf/torch/forgetting_penalty.hpp"

#include <algorithm>
#include <cmath>

#include "amf/error.hpp"

namespace amf {

torch::Tensor forgetting_penalty(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& theta0,
                                 const std::vector<torch::Tensor>& weights, double lambda) {
  if (!(std::isfinite(lambda) && lambda >= 0)) throw InvalidArgument("forgetting penalty: lambda must be a finite number >= 0");
  if (params.empty() || theta0.size() != params.size() || (!weights.empty() && weights.size() != params.size()))
    throw InvalidArgument("forgetting penalty: " + std::to_string(params.size()) + " parameter tensors, " +
                          std::to_string(theta0.size()) + " reference tensors and " + std::to_string(weights.size()) +
                          " weight tensors (must match, weights may be empty)");
  torch::Tensor sum = torch::zeros({}, params.front().options().requires_grad(false));
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i].sizes().equals(theta0[i].sizes()) || (!weights.empty() && !params[i].sizes().equals(weights[i].sizes())))
      throw InvalidArgument("forgetting penalty: parameter tensor " + std::to_string(i) + " has shape " +
                            c10::str(params[i].sizes()) + ", its reference " + c10::str(theta0[i].sizes()) +
                            (weights.empty() ? "" : " and its weight " + c10::str(weights[i].sizes())));
    const auto d2 = (params[i] - theta0[i]).pow(2);
    sum = sum + (weights.empty() ? d2 : weights[i] * d2).sum();
  }
  return lambda * sum;
}

std::vector<torch::Tensor> diagonal_fisher(MlpPolicy& policy, const BcData& data) {
  const auto& pc = policy->config();
  check_bc_data(data, pc.input_dim, pc.action_dim, "diagonal_fisher");
  if (data.size() == 0) throw InvalidArgument("diagonal_fisher: the data is empty");
  const torch::Tensor ref = policy->parameters().front();
  std::vector<torch::Tensor> fisher;
  for (const auto& p : policy->parameters()) fisher.push_back(torch::zeros(p.sizes(), torch::kFloat64));
  // Chunks bound the memory of the per-layer inputs and signals (rows x width each).
  const std::int64_t n = data.size(), chunk = 4096;
  for (std::int64_t r0 = 0; r0 < n; r0 += chunk) {
    const std::int64_t m = std::min(chunk, n - r0);
    const auto x = data.inputs.narrow(0, r0, m).to(ref.device(), ref.scalar_type());
    const auto a = data.actions.narrow(0, r0, m).to(ref.device(), ref.scalar_type());
    const FactorisedFeatures f = loss_gradient_features(policy, x, a);
    std::size_t i = 0;
    for (std::size_t l = 0; l < f.kinds.size(); ++l) {
      const auto& h = f.inputs[l];
      const auto d2 = f.signals[l].pow(2);
      if (f.kinds[l] == FactorisedLayer::Kind::Linear) {
        fisher[i++] += d2.t().mm(h.pow(2));  // weight (out, in): sum_n delta^2 h^2
      } else {
        fisher[i++] += (d2 * h.pow(2)).sum(0);  // LayerNorm weight: (delta * xhat)^2
      }
      fisher[i++] += d2.sum(0);  // bias: delta^2
    }
  }
  for (auto& f : fisher) f /= static_cast<double>(n);
  return fisher;
}

}  // namespace amf
