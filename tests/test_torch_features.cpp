// The factorised loss-gradient Gram of an MLP with LayerNorm equals the Gram of explicit
// per-sample gradients from LibTorch autograd (float64, relative 1e-10).
#include <gtest/gtest.h>

#include "amf/features.hpp"
#include "amf/torch_policy.hpp"

namespace {

TEST(TorchFeatures, FactorisedGramEqualsPerSampleAutogradGram) {
  torch::manual_seed(0);
  for (bool layer_norm : {true, false}) {
    amf::MlpPolicy net(amf::MlpPolicyConfig{5, 3, 3, 7, layer_norm});
    net->to(torch::kFloat64);
    const int P = 6;
    const auto x = torch::randn({P, 5}, torch::kFloat64), a = torch::randn({P, 3}, torch::kFloat64);
    const amf::FactorisedFeatures f = amf::loss_gradient_features(net, x, a);
    EXPECT_EQ(f.kinds.size(), layer_norm ? 7u : 4u);
    const amf::FeatureSet fs = f.view();
    const auto factorised = amf::feature_gram(fs, fs);

    std::vector<torch::Tensor> grads;  // one flattened gradient per sample
    for (int p = 0; p < P; ++p) {
      net->zero_grad();
      const auto loss = 0.5 * (net->forward(x.slice(0, p, p + 1)) - a.slice(0, p, p + 1)).pow(2).sum();
      loss.backward();
      std::vector<torch::Tensor> parts;
      for (const auto& param : net->parameters()) parts.push_back(param.grad().flatten());
      grads.push_back(torch::cat(parts));
    }
    const auto g = torch::stack(grads);
    const auto ref = g.matmul(g.t());
    for (int i = 0; i < P; ++i)
      for (int j = 0; j < P; ++j) {
        const double r = ref[i][j].item<double>();
        EXPECT_NEAR(factorised[i * P + j], r, 1e-10 * (1 + std::abs(r))) << "layer_norm " << layer_norm;
      }
  }
}

TEST(TorchFeatures, ShapesAreChecked) {
  amf::MlpPolicy net(amf::MlpPolicyConfig{4, 2, 1, 8, true});
  net->to(torch::kFloat64);
  EXPECT_THROW(amf::loss_gradient_features(net, torch::zeros({3, 5}, torch::kFloat64), torch::zeros({3, 2}, torch::kFloat64)),
               std::exception);
}

}  // namespace
