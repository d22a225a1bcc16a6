#pragma once
// The deterministic MLP policy of AMF-NN (libamf_torch): (state, task) -> action through blocks
// of Linear -> LayerNorm -> ReLU and a final Linear, and its loss-gradient features in the
// factorised form the engine consumes (features.hpp): no per-sample gradient is materialised.
#include <torch/torch.h>

#include <vector>

#include "amf/features.hpp"

namespace amf {

struct MlpPolicyConfig {
  int input_dim = 0;   // state dim + task dim
  int action_dim = 0;
  int depth = 4;       // hidden blocks
  int width = 256;
  bool layer_norm = true;
  // Dropout after every hidden block's ReLU, active only in training mode (module.train()).
  // 0 = the deterministic policy. behaviour_clone and FineTuner draw its masks from a generator
  // of their own, seeded from FinetuneConfig.seed; forward(inputs) in training mode draws them
  // from LibTorch's global generator. (The MC-dropout ablation needs none: it applies dropout at test
  // time through forward(inputs, rate), amf/torch/dropout_uncertainty.hpp.)
  double dropout = 0.0;
};

class MlpPolicyImpl : public torch::nn::Module {
 public:
  explicit MlpPolicyImpl(const MlpPolicyConfig& config);
  torch::Tensor forward(const torch::Tensor& inputs);  // (P, input_dim) -> (P, action_dim)
  // The same with dropout of the given rate after every hidden block, whatever the mode and the
  // configured rate: test-time MC dropout on a policy trained without it.
  torch::Tensor forward(const torch::Tensor& inputs, double dropout_rate);
  // The same with the masks drawn from `generator` instead of LibTorch's global one, which every
  // thread of the process shares and reseeds: callers on several threads each keep their own
  // stream. A generator on the inputs' device draws the masks there; a CPU generator draws them
  // on the CPU and moves them to the inputs' device. On the CPU the masks are those
  // torch::dropout draws after torch::manual_seed with the same seed.
  torch::Tensor forward(const torch::Tensor& inputs, double dropout_rate, at::Generator& generator);
  const MlpPolicyConfig& config() const { return config_; }

  // Layers in order, for feature extraction: hidden Linear and LayerNorm modules, then the head.
  std::vector<torch::nn::Linear> linears;
  std::vector<torch::nn::LayerNorm> norms;

 private:
  torch::Tensor forward_with(const torch::Tensor& inputs, double dropout_rate, at::Generator* generator);
  MlpPolicyConfig config_;
};
TORCH_MODULE(MlpPolicy);

// Loss-gradient features of 0.5 |f(x_p) - a_p|^2 for every row p: per parametrised layer, its
// input h (Linear) or normalised input xhat (LayerNorm) and the gradient delta of the loss at its
// output, from one forward and one backward pass over the batch. The tensors are float64 and
// contiguous on the CPU; view() points a FeatureSet at them (keep this object alive meanwhile).
struct FactorisedFeatures {
  std::vector<FactorisedLayer::Kind> kinds;
  std::vector<torch::Tensor> inputs, signals;
  FeatureSet view() const;
};

FactorisedFeatures loss_gradient_features(MlpPolicy& policy, const torch::Tensor& inputs,
                                          const torch::Tensor& actions);

}  // namespace amf
