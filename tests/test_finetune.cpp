// Behaviour cloning and per-round fine-tuning: determinism, parameter isolation's routing and
// bit-exact isolation, the batched copies against separate policies, L2/EWC penalties and the
// Fisher against per-sample autograd, and clear errors on bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "amf/error.hpp"
#include "amf/torch/fine_tuner.hpp"
#include "amf/torch/forgetting_penalty.hpp"
#include "finetune_fixture.hpp"

namespace {

amf::MlpPolicy small_policy(int depth = 2, int width = 32, std::uint64_t seed = 1, bool layer_norm = true) {
  torch::manual_seed(seed);
  amf::MlpPolicy p(amf::MlpPolicyConfig{4, 2, depth, width, layer_norm});
  p->to(torch::kFloat64);
  return p;
}

bool all_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

torch::Tensor four_centres() {
  return torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0}, {0.0, -1.0}}, torch::kFloat64);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const amf::InvalidArgument& e) {
    return e.what();
  }
  return "(no amf::InvalidArgument)";
}

TEST(Finetune, BehaviourCloningReducesLossAndIsDeterministic) {
  const auto data = amf_test::synthetic_bc(512, 0, 2 * M_PI, 7);
  amf::FinetuneConfig cfg;
  cfg.epochs = 25;
  cfg.batch_size = 64;
  cfg.device = "cpu";
  cfg.seed = 3;
  auto a = small_policy(), b = small_policy();
  const auto ca = amf::behaviour_clone(a, data, cfg);
  const auto cb = amf::behaviour_clone(b, data, cfg);
  ASSERT_EQ(ca.size(), 25u);
  EXPECT_LT(ca.back(), 0.1 * ca.front());
  EXPECT_EQ(ca, cb);
  EXPECT_TRUE(all_equal(a->parameters(), b->parameters()));
}

TEST(Finetune, IsolationRoutesToNearestCentreAndLeavesOtherCopiesBitIdentical) {
  auto pre = small_policy();
  amf::FinetuneConfig cfg;
  cfg.steps_per_round = 20;
  cfg.batch_size = 32;
  cfg.device = "cpu";
  amf::ForgettingConfig fc;
  fc.kind = amf::Forgetting::ParameterIsolation;
  fc.centres = four_centres();
  amf::FineTuner tuner(pre, fc, cfg);
  ASSERT_EQ(tuner.partitions(), 4);
  const auto tasks = torch::tensor({{0.9, 0.2}, {0.1, 2.0}, {-3.0, -0.5}, {0.3, -0.8}, {0.6, 0.7}}, torch::kFloat64);
  const auto part = tuner.partition_of(tasks);
  EXPECT_TRUE(torch::equal(part, torch::tensor({0, 1, 2, 3, 1}, torch::kLong)));

  const auto before = tuner.parameters();
  std::vector<torch::Tensor> copy_before;
  for (const auto& t : before) copy_before.push_back(t.clone());
  // Data only around the centre (0, 1): partition 1.
  const auto losses = tuner.fine_tune(amf_test::synthetic_bc(200, M_PI / 2 - 0.3, M_PI / 2 + 0.3, 5));
  EXPECT_EQ(losses.size(), 20u);
  // An explicit step count overrides steps_per_round (Fig. 5's steps per demonstration).
  amf::FineTuner other(pre, fc, cfg);
  EXPECT_EQ(other.fine_tune(amf_test::synthetic_bc(50, 0.0, 1.0, 9), 7).size(), 7u);
  EXPECT_THROW(other.fine_tune(amf_test::synthetic_bc(50, 0.0, 1.0, 9), -1), amf::InvalidArgument);
  for (std::size_t i = 0; i < before.size(); ++i) {
    for (int p : {0, 2, 3}) EXPECT_TRUE(torch::equal(tuner.parameters()[i][p], copy_before[i][p])) << "tensor " << i << " copy " << p;
  }
  EXPECT_FALSE(torch::equal(tuner.parameters()[0][1], copy_before[0][1]));
  EXPECT_TRUE(torch::equal(tuner.parameters()[0][1], tuner.policy(1)->parameters()[0]));

  // predict routes every row through its partition's copy.
  const auto x = torch::cat({0.3 * torch::randn({5, 2}, torch::kFloat64), tasks}, 1);
  const auto y = tuner.predict(x);
  for (int r = 0; r < 5; ++r) {
    auto copy = tuner.policy(static_cast<int>(part[r].item<std::int64_t>()));
    EXPECT_TRUE(torch::allclose(y[r], copy->forward(x.narrow(0, r, 1))[0], 1e-12, 1e-12)) << "row " << r;
  }
}

TEST(Finetune, BatchedCopiesEqualSeparatePolicies) {
  for (bool ln : {true, false}) {
    std::vector<amf::MlpPolicy> nets;
    std::vector<std::vector<torch::Tensor>> parts;
    for (int c = 0; c < 3; ++c) {
      nets.push_back(small_policy(3, 16, 10 + c, ln));
      parts.push_back(amf::stack_copies(nets.back(), 1));
    }
    std::vector<torch::Tensor> stacked;
    for (std::size_t i = 0; i < parts[0].size(); ++i) stacked.push_back(torch::cat({parts[0][i], parts[1][i], parts[2][i]}, 0));
    const auto x = torch::randn({3, 9, 4}, torch::kFloat64);
    const auto y = amf::stacked_forward(nets[0]->config(), stacked, x);
    for (int c = 0; c < 3; ++c)
      EXPECT_LT((y[c] - nets[c]->forward(x[c])).abs().max().item<double>(), 1e-12) << "copy " << c << " layer_norm " << ln;
    auto back = amf::unstack_copy(nets[0]->config(), stacked, 2);
    EXPECT_TRUE(all_equal(back->parameters(), nets[2]->parameters()));
  }
}

TEST(Finetune, PenaltyGradientIsAnalytic) {
  torch::manual_seed(5);
  std::vector<torch::Tensor> params{torch::randn({3, 4}, torch::kFloat64).requires_grad_(), torch::randn({4}, torch::kFloat64).requires_grad_()};
  std::vector<torch::Tensor> theta0{torch::randn({3, 4}, torch::kFloat64), torch::randn({4}, torch::kFloat64)};
  std::vector<torch::Tensor> w{torch::rand({3, 4}, torch::kFloat64), torch::rand({4}, torch::kFloat64)};
  const double lambda = 0.7;
  for (bool ewc : {false, true}) {
    const auto pen = amf::forgetting_penalty(params, theta0, ewc ? w : std::vector<torch::Tensor>{}, lambda);
    const auto g = torch::autograd::grad({pen}, params);
    for (int i = 0; i < 2; ++i) {
      const auto diff = params[i].detach() - theta0[i];
      const auto expect = 2 * lambda * (ewc ? w[i] : torch::ones_like(w[i])) * diff;
      EXPECT_LT((g[i] - expect).abs().max().item<double>(), 1e-12);
    }
  }
  EXPECT_NE(message_of([&] { amf::forgetting_penalty(params, {theta0[0]}, {}, 1.0); }).find("reference"), std::string::npos);
}

TEST(Finetune, EwcFisherEqualsPerSampleAutograd) {
  auto net = small_policy(2, 5, 9);
  const auto data = amf_test::synthetic_bc(7, 0, 6.28, 11);
  const auto fisher = amf::diagonal_fisher(net, data);
  auto params = net->parameters();
  std::vector<torch::Tensor> expect;
  for (const auto& p : params) expect.push_back(torch::zeros_like(p));
  for (int n = 0; n < 7; ++n) {
    const auto loss = 0.5 * (net->forward(data.inputs.narrow(0, n, 1)) - data.actions.narrow(0, n, 1)).pow(2).sum();
    const auto g = torch::autograd::grad({loss}, params);
    for (std::size_t i = 0; i < params.size(); ++i) expect[i] += g[i].pow(2) / 7.0;
  }
  ASSERT_EQ(fisher.size(), expect.size());
  for (std::size_t i = 0; i < fisher.size(); ++i)
    EXPECT_LT((fisher[i] - expect[i]).abs().max().item<double>(), 1e-10) << "tensor " << i;
}

double distance_to(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]).pow(2).sum().item<double>();
  return std::sqrt(s);
}

TEST(Finetune, L2AndEwcKeepParametersCloserToPretrained) {
  auto pre = small_policy();
  const auto pretraining = amf_test::synthetic_bc(256, 0, M_PI, 1);
  const auto round = amf_test::synthetic_bc(256, M_PI, 2 * M_PI, 2);
  amf::FinetuneConfig cfg;
  cfg.steps_per_round = 40;
  cfg.batch_size = 64;
  cfg.learning_rate = 3e-3;
  cfg.device = "cpu";
  std::map<amf::Forgetting, double> dist;
  for (auto kind : {amf::Forgetting::None, amf::Forgetting::L2, amf::Forgetting::Ewc}) {
    amf::ForgettingConfig fc;
    fc.kind = kind;
    fc.lambda = kind == amf::Forgetting::Ewc ? 1e5 : 1e3;
    amf::FineTuner tuner(pre, fc, cfg, pretraining);
    const auto losses = tuner.fine_tune(round);
    for (double l : losses) EXPECT_TRUE(std::isfinite(l));
    dist[kind] = distance_to(tuner.parameters(), tuner.pretrained());
  }
  EXPECT_GT(dist[amf::Forgetting::None], 0);
  EXPECT_LT(dist[amf::Forgetting::L2], 0.5 * dist[amf::Forgetting::None]);
  EXPECT_LT(dist[amf::Forgetting::Ewc], 0.5 * dist[amf::Forgetting::None]);
}

TEST(Finetune, BadInputsNameTheProblem) {
  const auto data = amf_test::synthetic_bc(16, 0, 1, 1);
  amf::FinetuneConfig cfg;
  cfg.epochs = 1;
  cfg.device = "cpu";
  torch::manual_seed(1);
  amf::MlpPolicy three(amf::MlpPolicyConfig{4, 3, 1, 8, true});
  three->to(torch::kFloat64);
  auto msg = message_of([&] { amf::behaviour_clone(three, data, cfg); });
  EXPECT_NE(msg.find("outputs 3 action dimensions, the data has 2"), std::string::npos) << msg;

  msg = message_of([] { amf::parse_forgetting("rehearsal"); });
  EXPECT_NE(msg.find("'rehearsal'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("parameter-isolation"), std::string::npos) << msg;
  for (const char* n : {"none", "parameter-isolation", "l2", "ewc"}) EXPECT_EQ(amf::to_string(amf::parse_forgetting(n)), n);

  auto net = small_policy();
  amf::BcData bad = data;
  bad.actions = data.actions.narrow(0, 0, 10);
  msg = message_of([&] { amf::behaviour_clone(net, bad, cfg); });
  EXPECT_NE(msg.find("16 input rows but 10 action rows"), std::string::npos) << msg;
  bad = data;
  bad.inputs = data.inputs.narrow(1, 0, 3);
  msg = message_of([&] { amf::behaviour_clone(net, bad, cfg); });
  EXPECT_NE(msg.find("takes 4 inputs"), std::string::npos) << msg;
  bad = data;
  bad.inputs = data.inputs.clone();
  bad.inputs[3][1] = std::nan("");
  msg = message_of([&] { amf::behaviour_clone(net, bad, cfg); });
  EXPECT_NE(msg.find("NaN"), std::string::npos) << msg;

  cfg.device = "tpu";
  msg = message_of([&] { amf::behaviour_clone(net, data, cfg); });
  EXPECT_NE(msg.find("'tpu'"), std::string::npos) << msg;
  cfg.device = "cpu";
  cfg.batch_size = 0;
  msg = message_of([&] { amf::behaviour_clone(net, data, cfg); });
  EXPECT_NE(msg.find("batch_size"), std::string::npos) << msg;
  cfg.batch_size = 8;

  amf::ForgettingConfig fc;
  fc.kind = amf::Forgetting::ParameterIsolation;
  msg = message_of([&] { amf::FineTuner(net, fc, cfg); });
  EXPECT_NE(msg.find("centres"), std::string::npos) << msg;
  fc.centres = torch::zeros({2, 3}, torch::kFloat64);
  amf::FineTuner tuner(net, fc, cfg);
  msg = message_of([&] { tuner.fine_tune(data); });
  EXPECT_NE(msg.find("tasks of dimension 2, the partition centres 3"), std::string::npos) << msg;
  msg = message_of([&] { tuner.predict(torch::zeros({2, 5}, torch::kFloat64)); });
  EXPECT_NE(msg.find("(N, 4)"), std::string::npos) << msg;
  fc.kind = amf::Forgetting::Ewc;
  msg = message_of([&] { amf::FineTuner(net, fc, cfg); });
  EXPECT_NE(msg.find("pre-training data"), std::string::npos) << msg;
}

}  // namespace
