#include "amf/torch/torch_policy.hpp"

#include "amf/error.hpp"
#include "torch/dropout_masks.hpp"

namespace amf {

MlpPolicyImpl::MlpPolicyImpl(const MlpPolicyConfig& config) : config_(config) {
  if (config.input_dim < 1 || config.action_dim < 1 || config.depth < 0 || config.width < 1)
    throw InvalidArgument("MlpPolicy: input_dim, action_dim and width must be >= 1 and depth >= 0");
  if (!(config.dropout >= 0 && config.dropout < 1)) throw InvalidArgument("MlpPolicy: dropout must be in [0, 1)");
  int in = config.input_dim;
  for (int l = 0; l < config.depth; ++l) {
    linears.push_back(register_module("linear" + std::to_string(l), torch::nn::Linear(in, config.width)));
    if (config.layer_norm)
      norms.push_back(register_module("norm" + std::to_string(l), torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.width}))));
    in = config.width;
  }
  linears.push_back(register_module("head", torch::nn::Linear(in, config.action_dim)));
}

torch::Tensor MlpPolicyImpl::forward(const torch::Tensor& inputs) {
  return forward(inputs, is_training() ? config_.dropout : 0.0);
}

torch::Tensor MlpPolicyImpl::forward(const torch::Tensor& inputs, double dropout_rate) {
  return forward_with(inputs, dropout_rate, nullptr);
}

torch::Tensor MlpPolicyImpl::forward(const torch::Tensor& inputs, double dropout_rate, at::Generator& generator) {
  detail::check_dropout_generator(generator, inputs.device(), "MlpPolicy::forward");
  return forward_with(inputs, dropout_rate, &generator);
}

torch::Tensor MlpPolicyImpl::forward_with(const torch::Tensor& inputs, double dropout_rate, at::Generator* generator) {
  torch::Tensor h = inputs;
  for (int l = 0; l < config_.depth; ++l) {
    h = linears[l]->forward(h);
    if (config_.layer_norm) h = norms[l]->forward(h);
    h = torch::relu(h);
    if (dropout_rate > 0) h = detail::dropout(h, dropout_rate, generator);
  }
  return linears.back()->forward(h);
}

FeatureSet FactorisedFeatures::view() const {
  FeatureSet f;
  for (std::size_t l = 0; l < kinds.size(); ++l)
    f.layers.push_back({kinds[l],
                        MatrixView<double>(inputs[l].data_ptr<double>(), inputs[l].size(0), inputs[l].size(1)),
                        MatrixView<double>(signals[l].data_ptr<double>(), signals[l].size(0), signals[l].size(1))});
  return f;
}

FactorisedFeatures loss_gradient_features(MlpPolicy& policy, const torch::Tensor& inputs, const torch::Tensor& actions) {
  const auto& cfg = policy->config();
  if (inputs.dim() != 2 || inputs.size(1) != cfg.input_dim)
    throw InvalidArgument("loss_gradient_features: inputs must be (P, " + std::to_string(cfg.input_dim) + ")");
  if (actions.dim() != 2 || actions.size(0) != inputs.size(0) || actions.size(1) != cfg.action_dim)
    throw InvalidArgument("loss_gradient_features: actions must be (P, " + std::to_string(cfg.action_dim) + ")");
  FactorisedFeatures out;
  std::vector<torch::Tensor> outputs;  // each parametrised layer's output, whose gradient is delta
  auto record = [&](FactorisedLayer::Kind kind, const torch::Tensor& in, const torch::Tensor& o) {
    out.kinds.push_back(kind);
    out.inputs.push_back(in.detach().to(torch::kFloat64).contiguous().cpu());
    outputs.push_back(o);
  };
  // The forward pass of MlpPolicyImpl::forward, recording what the features need.
  torch::Tensor h = inputs;
  for (int l = 0; l < cfg.depth; ++l) {
    torch::Tensor z = policy->linears[l]->forward(h);
    record(FactorisedLayer::Kind::Linear, h, z);
    if (cfg.layer_norm) {
      const auto& opt = policy->norms[l]->options;
      const auto mean = z.mean(-1, true);
      const auto var = z.var(-1, /*unbiased=*/false, /*keepdim=*/true);
      const auto xhat = (z - mean) / torch::sqrt(var + opt.eps());
      const torch::Tensor n = policy->norms[l]->forward(z);
      record(FactorisedLayer::Kind::LayerNorm, xhat, n);
      z = n;
    }
    h = torch::relu(z);
  }
  const torch::Tensor y = policy->linears.back()->forward(h);
  record(FactorisedLayer::Kind::Linear, h, y);
  // Samples are independent (LayerNorm normalises within a row), so the gradient of the summed
  // loss at each layer output is, row by row, each sample's own delta.
  const torch::Tensor loss = 0.5 * (y - actions).pow(2).sum();
  const auto deltas = torch::autograd::grad({loss}, outputs);
  for (const auto& d : deltas) out.signals.push_back(d.detach().to(torch::kFloat64).contiguous().cpu());
  return out;
}

}  // namespace amf
