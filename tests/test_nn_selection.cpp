// AMF-NN selection for the project's MLP: checkpoints round-trip, the inputs it builds give the
// criterion a from-scratch relabelling would, and `amf select --policy mlp` equals the library.
#include <gtest/gtest.h>

#include "scripted_policy_fixture.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "amf/backend.hpp"
#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"
#include "amf/harness/integrator2d.hpp"
#include "amf/torch/nn_selection.hpp"

namespace {

amf::Dataset demos() {
  amf::Integrator2DConfig cfg;
  cfg.horizon = 6;
  amf::Integrator2D env(cfg);
  amf::Integrator2DExpert expert(cfg);
  amf::Dataset d(2, 2, 2);
  for (int i = 0; i < 4; ++i) d.add(amf::demonstrate(env, expert, amf::goal_of_angle(0.5 * i, 1.0), 0.05, i));
  return d;
}

TEST(NnSelection, CheckpointRoundTripKeepsTheFunction) {
  torch::manual_seed(2);
  amf::MlpPolicy net(amf::MlpPolicyConfig{4, 2, 2, 16, true});
  net->to(torch::kFloat64);
  const auto path = (std::filesystem::temp_directory_path() / "amf_mlp.pt").string();
  amf::save_mlp_policy(net, path);
  amf::MlpPolicy back = amf::load_mlp_policy(path);
  back->to(torch::kFloat64);
  const auto x = torch::randn({5, 4}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(net->forward(x), back->forward(x), 0, 0));
  std::ofstream(path + ".bad") << "not a checkpoint";
  EXPECT_THROW(amf::load_mlp_policy(path + ".bad"), amf::InvalidArgument);
  EXPECT_THROW(amf::load_mlp_policy(path + ".absent"), amf::InvalidArgument);
}

TEST(NnSelection, CliEqualsLibraryAndLastLayerDiffers) {
  torch::manual_seed(3);
  amf::MlpPolicy net(amf::MlpPolicyConfig{4, 2, 2, 16, true});
  net->to(torch::kFloat64);
  const amf::Dataset data = demos();
  std::vector<double> cands, targs, probs(6, 1.0 / 6);
  for (int c = 0; c < 9; ++c) {
    const auto g = amf::goal_of_angle(0.7 * c, 1.0);
    cands.insert(cands.end(), g.begin(), g.end());
  }
  for (int k = 0; k < 6; ++k) {
    const auto g = amf::evaluation_task(k, 6, 1.0);
    targs.insert(targs.end(), g.begin(), g.end());
  }
  const amf::MatrixView<double> C(cands.data(), 9, 2), T(targs.data(), 6, 2);
  amf::NnSelectionInputs full(net, data, C, T, amf::VectorView<double>(probs), 0.1, amf::GradientEmbedding::Full);
  full.problem().batch_size = 2;
  full.problem().noise_variance = 1e-3;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto lib = amf::select_batch(full.problem(), *backend);
  amf::NnSelectionInputs last(net, data, C, T, amf::VectorView<double>(probs), 0.1, amf::GradientEmbedding::LastLayer);
  last.problem().noise_variance = 1e-3;
  const auto last_r = amf::evaluate_criterion(last.problem(), *backend);
  EXPECT_NE(last_r.J, lib.J);
  for (double j : lib.J) EXPECT_TRUE(std::isfinite(j));
  // Label-free: the last-layer kernel is h . h' + 1 on the head's inputs (the inputs of the full
  // form's last layer), with no loss signal, so the actions do not enter it.
  const amf::FactorisedLayer& head = full.problem().target_features.layers.back();
  const amf::FeatureSet& last_set = last.problem().target_features;
  ASSERT_EQ(last_set.layers.size(), 1u);
  const auto gram = amf::feature_gram(last_set, last_set);
  const std::int64_t P = last_set.points();
  const amf::MatrixView<double> head_inputs = head.inputs.host_matrix("head inputs");
  ASSERT_EQ(P, head.inputs.rows);
  for (std::int64_t i = 0; i < P; i += 7)
    for (std::int64_t j = 0; j < P; j += 5) {
      double expected = 1.0;
      for (std::int64_t c = 0; c < head.inputs.cols; ++c) expected += head_inputs(i, c) * head_inputs(j, c);
      EXPECT_NEAR(gram[i * P + j], expected, 1e-12 * (1 + std::abs(expected)));
    }

  const auto dir = std::filesystem::temp_directory_path() / "amf_nn_cli";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  amf::save_mlp_policy(net, (dir / "policy.pt").string());
  amf::write_demonstrations((dir / "demos.h5").string(), data);
  std::ofstream cf(dir / "cands.csv"), tf(dir / "targs.csv");
  cf.precision(17);
  tf.precision(17);
  cf << "x,y\n";
  for (int c = 0; c < 9; ++c) cf << cands[2 * c] << ',' << cands[2 * c + 1] << '\n';
  tf << "x,y\n";
  for (int k = 0; k < 6; ++k) tf << targs[2 * k] << ',' << targs[2 * k + 1] << '\n';
  cf.close();
  tf.close();
  const std::string cmd = std::string(AMF_CLI_PATH) + " select --policy mlp --checkpoint " + (dir / "policy.pt").string() +
                          " --demos " + (dir / "demos.h5").string() + " --candidates " + (dir / "cands.csv").string() +
                          " --targets " + (dir / "targs.csv").string() +
                          " --batch-size 2 --noise-variance 0.001 --sigma-pi 0.1 --backend cpu --out " + (dir / "out").string() +
                          " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir / "out" / "selection.json");
  const auto js = nlohmann::json::parse(in);
  ASSERT_EQ(js["batch"].size(), 2u);
  EXPECT_EQ(js["criterion"], "amf-nn");
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(js["batch"][b]["candidate"].get<std::int64_t>(), lib.batch[b]);
    EXPECT_NEAR(js["batch"][b]["J"].get<double>(), lib.batch_J[b], 1e-9 * std::abs(lib.batch_J[b]));
  }
}

}  // namespace

#include <torch/script.h>

namespace {

using amf_test::save_scripted_policy;

TEST(TorchScriptPolicy, HeadEmbeddingEqualsPerSampleAutogradOfTheHead) {
  const auto path = save_scripted_policy((std::filesystem::temp_directory_path() / "amf_ts.pt").string(), 4, 6, 2);
  amf::TorchScriptPolicy policy(path);
  const amf::Dataset data = demos();
  std::vector<double> cands{1.0, 0.0, 0.0, 1.0, -1.0, 0.0}, targs{1.0, 0.0, -1.0, 0.0}, probs{0.5, 0.5};
  amf::NnSelectionInputs inputs(policy, data, {cands.data(), 3, 2}, {targs.data(), 2, 2}, amf::VectorView<double>(probs), 0.1);
  auto& p = inputs.problem();
  p.batch_size = 2;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::select_batch(p, *backend);
  ASSERT_EQ(r.batch.size(), 2u);

  // Independent check of the features: per-sample gradients of 0.5 |f(x) - a|^2 w.r.t. the
  // head's weight and bias, through the scripted module.
  torch::jit::Module m = torch::jit::load(path);
  auto head = m.attr("head").toModule();
  auto weight = head.attr("weight").toTensor(), bias = head.attr("bias").toTensor();
  weight.set_requires_grad(true);
  bias.set_requires_grad(true);
  const std::int64_t n = data.total_steps();
  std::vector<torch::Tensor> grads;
  for (std::int64_t row : {std::int64_t(0), std::int64_t(5), n + 3}) {  // (candidate, step) rows
    const std::int64_t c = row / n, t = row % n;
    std::int64_t traj = 0, off = 0;
    while (off + static_cast<std::int64_t>(data[traj].states.size()) / 2 <= t) off += data[traj++].states.size() / 2;
    const auto& tr = data[traj];
    const auto x = torch::tensor({tr.states[2 * (t - off)], tr.states[2 * (t - off) + 1], cands[2 * c], cands[2 * c + 1]},
                                 torch::kFloat64).unsqueeze(0);
    const auto a = torch::tensor({tr.actions[2 * (t - off)], tr.actions[2 * (t - off) + 1]}, torch::kFloat64).unsqueeze(0);
    const auto loss = 0.5 * (m.forward({x}).toTensor() - a).pow(2).sum();
    const auto g = torch::autograd::grad({loss}, {weight, bias});
    grads.push_back(torch::cat({g[0].flatten(), g[1].flatten()}));
  }
  const amf::FeatureSet& f = p.candidate_features;
  const amf::MatrixView<double> layer_inputs = f.layers[0].inputs.host_matrix("inputs"),
                                signals = f.layers[0].signals.host_matrix("signals");
  const std::vector<std::int64_t> rows{0, 5, n + 3};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      amf::FeatureSet a{{}, {{f.layers[0].kind, {layer_inputs.row(rows[i]), 1, layer_inputs.cols},
                              {signals.row(rows[i]), 1, signals.cols}}}};
      amf::FeatureSet b{{}, {{f.layers[0].kind, {layer_inputs.row(rows[j]), 1, layer_inputs.cols},
                              {signals.row(rows[j]), 1, signals.cols}}}};
      const double got = amf::feature_gram(a, b)[0], want = grads[i].dot(grads[j]).item<double>();
      EXPECT_NEAR(got, want, 1e-10 * (1 + std::abs(want)));
    }
}

TEST(TorchScriptPolicy, MissingInterfaceIsNamed) {
  const auto path = (std::filesystem::temp_directory_path() / "amf_ts_bad.pt").string();
  torch::jit::Module m("NoTrunk");
  m.define("def forward(self, x):\n    return x\n");
  m.save(path);
  try {
    amf::TorchScriptPolicy policy(path);
    ADD_FAILURE() << "a module without trunk() was accepted";
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("trunk"), std::string::npos) << e.what();
  }
  std::ofstream(path + ".txt") << "not torchscript";
  EXPECT_THROW(amf::TorchScriptPolicy(path + ".txt"), amf::InvalidArgument);
}

TEST(TorchScriptPolicy, CliSelectsWithIt) {
  const auto dir = std::filesystem::temp_directory_path() / "amf_ts_cli";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  save_scripted_policy((dir / "policy.pt").string(), 4, 6, 2);
  amf::write_demonstrations((dir / "demos.h5").string(), demos());
  std::ofstream(dir / "cands.csv") << "x,y\n1,0\n0,1\n-1,0\n0,-1\n";
  std::ofstream(dir / "targs.csv") << "x,y,weight\n1,0,1\n-1,0,3\n";
  const std::string cmd = std::string(AMF_CLI_PATH) + " select --policy torchscript --checkpoint " +
                          (dir / "policy.pt").string() + " --demos " + (dir / "demos.h5").string() + " --candidates " +
                          (dir / "cands.csv").string() + " --targets " + (dir / "targs.csv").string() +
                          " --batch-size 2 --out " + (dir / "out").string() + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir / "out" / "selection.json");
  EXPECT_EQ(nlohmann::json::parse(in)["batch"].size(), 2u);
}

}  // namespace
