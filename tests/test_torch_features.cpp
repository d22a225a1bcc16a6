// The factorised loss-gradient Gram of an MLP with LayerNorm equals the Gram of explicit
// per-sample gradients from LibTorch autograd (float64, relative 1e-10).
#include <gtest/gtest.h>

#include "amf/features.hpp"
#include "amf/torch/torch_policy.hpp"

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

#include "amf/backend.hpp"
#include "amf/feature_problem.hpp"
#include "amf/torch/torch_criterion.hpp"

namespace {

// The engine's feature criterion against the LibTorch one, on features of a real MLP with
// LayerNorm (float64, relative 1e-9), including greedy picks.
TEST(TorchFeatures, EngineAgreesWithLibTorchFeatureCriterion) {
  torch::manual_seed(1);
  const int R = 5, T = 4, n = R * T, N = 6, K = 3, ds = 3, dc = 2, da = 2;
  amf::MlpPolicy net(amf::MlpPolicyConfig{ds + dc, da, 2, 8, true});
  net->to(torch::kFloat64);
  const auto states = torch::randn({n, ds}, torch::kFloat64), actions = torch::randn({n, da}, torch::kFloat64);
  const auto cand = torch::randn({N, dc}, torch::kFloat64), targ = torch::randn({K, dc}, torch::kFloat64);
  auto relabel = [&](const torch::Tensor& tasks) {  // (tasks n, ds + dc): every pool step with every task
    return torch::cat({states.repeat({tasks.size(0), 1}), tasks.repeat_interleave(n, 0)}, 1);
  };
  auto logp = [&](const torch::Tensor& x) {  // N(a; f(x), 0.1^2 I) per step
    torch::NoGradGuard g;
    const auto a = actions.repeat({x.size(0) / n, 1});
    return (-0.5 * (net->forward(x) - a).pow(2).sum(1) / 0.01).reshape({-1, n}).contiguous();
  };
  const auto xc = relabel(cand), xt = relabel(targ);
  const amf::FactorisedFeatures fc = amf::loss_gradient_features(net, xc, actions.repeat({N, 1}));
  const amf::FactorisedFeatures ft = amf::loss_gradient_features(net, xt, actions.repeat({K, 1}));
  const auto lc = logp(xc), lt = logp(xt);
  const auto own = torch::zeros({n}, torch::kFloat64);
  std::vector<std::int64_t> offsets;
  for (int i = 0; i <= R; ++i) offsets.push_back(i * T);
  std::vector<double> probs(K, 1.0 / K);
  amf::FeatureCriterionProblem p;
  p.traj_offsets = amf::VectorView<std::int64_t>(offsets);
  p.candidate_logp = {lc.data_ptr<double>(), N, n};
  p.target_logp = {lt.data_ptr<double>(), K, n};
  p.own_logp = amf::VectorView<double>(own.data_ptr<double>(), n);
  p.target_probs = amf::VectorView<double>(probs);
  p.candidate_features = fc.view();
  p.target_features = ft.view();
  p.noise_variance = 0.05;
  p.batch_size = 3;
  p.min_weight = 0.0;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto engine = amf::select_batch(p, *backend);
  const auto ref = amf::torch_feature_criterion(p, true);
  for (int c = 0; c < N; ++c) EXPECT_NEAR(engine.J[c], ref.J[c], 1e-9 * std::abs(ref.J[c])) << "candidate " << c;
  EXPECT_EQ(engine.batch, ref.batch);
  for (std::size_t b = 0; b < ref.batch_J.size(); ++b) EXPECT_NEAR(engine.batch_J[b], ref.batch_J[b], 1e-9 * std::abs(ref.batch_J[b]));
}

}  // namespace
