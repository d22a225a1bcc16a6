// AMF-NN selection for the project's MLP: checkpoints round-trip, the inputs it builds give the
// criterion a from-scratch relabelling would, and `amf select --policy mlp` equals the library.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "amf/backend.hpp"
#include "amf/demonstrations.hpp"
#include "amf/error.hpp"
#include "amf/integrator2d.hpp"
#include "amf/nn_selection.hpp"

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
