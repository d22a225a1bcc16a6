// The warm start's bookkeeping and selection copy, the MC-dropout ablation, fine-tuning the head
// of an off-the-shelf TorchScript policy, and (disabled by default) the time per gradient step.
#include <gtest/gtest.h>

#include "scripted_policy_fixture.hpp"
#include <torch/script.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <thread>
#include <vector>

#include "amf/torch/dropout_uncertainty.hpp"
#include "amf/error.hpp"
#include "amf/torch/fine_tuner.hpp"
#include "amf/torch/head_finetune.hpp"
#include "amf/torch/parameter_isolation.hpp"
#include "amf/torch/warm_start.hpp"
#include "finetune_fixture.hpp"

namespace {

TEST(WarmStart, HeldBackUntilATaskOfTheSamePartitionIsSelected) {
  amf::WarmStart ws({0, 1, 1, 2, 0}, 4);
  EXPECT_EQ(ws.held_ids(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ws.select(3), std::vector<int>{});
  EXPECT_EQ(ws.select(1), (std::vector<int>{1, 2}));
  EXPECT_FALSE(ws.held(1));
  EXPECT_TRUE(ws.held(0));
  EXPECT_EQ(ws.select(1), std::vector<int>{});
  EXPECT_EQ(ws.select(0), (std::vector<int>{0, 4}));
  EXPECT_EQ(ws.released_ids(), (std::vector<int>{1, 2, 0, 4}));
  EXPECT_EQ(ws.held_ids(), std::vector<int>{3});
  EXPECT_THROW(ws.select(4), amf::InvalidArgument);
  EXPECT_THROW(amf::WarmStart({0, 5}, 2), amf::InvalidArgument);
}

TEST(WarmStart, SelectionCopyIsNotTrainedOnHeldBackDemonstrations) {
  torch::manual_seed(1);
  amf::MlpPolicy pre(amf::MlpPolicyConfig{4, 2, 2, 16, true});
  pre->to(torch::kFloat64);
  amf::FinetuneConfig cfg;
  cfg.steps_per_round = 10;
  cfg.batch_size = 16;
  cfg.device = "cpu";
  amf::ForgettingConfig fc;
  fc.kind = amf::Forgetting::ParameterIsolation;
  fc.centres = torch::tensor({{1.0, 0.0}, {-1.0, 0.0}}, torch::kFloat64);
  amf::FineTuner tuner(pre, fc, cfg);
  amf::FineTuner reference(pre, fc, cfg);  // never sees the warm-start demonstrations
  amf::FineTuner selection = tuner.clone();
  // Warm start: uniform demonstrations, held back.
  const auto warm = amf_test::synthetic_bc(40, 0, 2 * M_PI, 3);
  const auto warm_part = tuner.partition_of(warm.tasks());
  std::vector<int> parts(warm_part.data_ptr<std::int64_t>(), warm_part.data_ptr<std::int64_t>() + warm_part.numel());
  amf::WarmStart ws(parts, 2);  // one "demonstration" per row here
  // The criterion selects a task of partition 0: its held-back rows join the training set.
  const auto picked = amf_test::synthetic_bc(20, -0.2, 0.2, 4);
  const auto released = ws.select(0);
  ASSERT_FALSE(released.empty());
  for (int id : released) EXPECT_EQ(parts[id], 0);
  const auto rows = torch::tensor(std::vector<std::int64_t>(released.begin(), released.end()), torch::kLong);
  const auto rel = amf::select_rows(warm, rows);
  const amf::BcData training{torch::cat({picked.inputs, rel.inputs}), torch::cat({picked.actions, rel.actions}), 2};
  tuner.fine_tune(training);
  selection.fine_tune(picked);
  reference.fine_tune(picked);
  for (std::size_t i = 0; i < tuner.parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(selection.parameters()[i], reference.parameters()[i])) << "tensor " << i;
    // Partition 1 got no selection, so its held-back rows trained nothing.
    EXPECT_TRUE(torch::equal(tuner.parameters()[i][1], reference.parameters()[i][1])) << "tensor " << i;
  }
  EXPECT_FALSE(torch::equal(tuner.parameters()[0][0], selection.parameters()[0][0]));
}

TEST(Dropout, TestTimeDropoutOnADeterministicPolicyIsLargerFarFromTheData) {
  const auto states = 0.5 * torch::randn({64, 2}, torch::kFloat64);
  const auto tasks = torch::tensor({{1.0, 0.0}, {0.8, 0.6}, {-4.0, -3.0}}, torch::kFloat64);
  torch::manual_seed(2);
  // Trained without dropout on tasks near angle 0 only (the policy every other arm deploys):
  // test-time dropout finds the far task (-4, -3) the most uncertain.
  amf::MlpPolicy net(amf::MlpPolicyConfig{4, 2, 2, 64, false, 0.0});
  net->to(torch::kFloat64);
  amf::FinetuneConfig cfg;
  cfg.epochs = 20;
  cfg.batch_size = 64;
  cfg.device = "cpu";
  amf::behaviour_clone(net, amf_test::synthetic_bc(512, -0.7, 0.7, 5), cfg);
  net->eval();
  const auto x = torch::cat({states, tasks[0].expand({64, 2})}, 1);
  const auto deterministic = net->forward(x);
  const auto v = amf::dropout_prior_variance(net, states, tasks, 32, 0.1, 3);
  EXPECT_FALSE(net->is_training());  // the mode is left alone
  EXPECT_TRUE(torch::equal(net->forward(x), deterministic));  // and eval forward stays deterministic
  ASSERT_EQ(v.size(0), 3);
  EXPECT_TRUE((v > 0).all().item<bool>());
  EXPECT_GT(v[2].item<double>(), v[0].item<double>());
  EXPECT_GT(v[2].item<double>(), v[1].item<double>());
  // Same seed, same masks; a higher rate, more variance.
  EXPECT_TRUE(torch::equal(v, amf::dropout_prior_variance(net, states, tasks, 32, 0.1, 3)));
  EXPECT_TRUE((amf::dropout_prior_variance(net, states, tasks, 32, 0.4, 3) > v).all().item<bool>());
  EXPECT_EQ(amf::max_variance_batch(v, 4), (std::vector<std::int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(amf::max_variance_batch(torch::tensor({0.1, 0.5, 0.2}), 2), (std::vector<std::int64_t>{1, 1}));
  EXPECT_THROW(amf::dropout_prior_variance(net, states, torch::zeros({2, 3}), 8, 0.1, 1), amf::InvalidArgument);
  EXPECT_THROW(amf::dropout_prior_variance(net, states, tasks, 8, 0.0, 1), amf::InvalidArgument);
  EXPECT_THROW(amf::dropout_prior_variance(net, states, tasks, 8, 1.0, 1), amf::InvalidArgument);
  amf::MlpPolicy linear(amf::MlpPolicyConfig{4, 2, 0, 8, false, 0.0});
  linear->to(torch::kFloat64);
  EXPECT_THROW(amf::dropout_prior_variance(linear, states, tasks, 8, 0.1, 1), amf::InvalidArgument);
}

// A thread that reseeds LibTorch's global generator and draws from it, over and over, while it
// lives: what the other jobs of a study do beside a job under test.
class GlobalGeneratorReseeder {
 public:
  GlobalGeneratorReseeder()
      : thread_([this] {
          for (std::uint64_t i = 0; !stop_; ++i) {
            torch::manual_seed(i);
            (void)torch::rand({16});
          }
        }) {}
  ~GlobalGeneratorReseeder() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The masks come from a generator of the call's own, equal to what LibTorch's global generator
// gives after torch::manual_seed with the same seed (so results computed before it are unchanged),
// and calls on several threads while others reseed the global generator give the same variances
// as one call alone (a study runs several jobs at a time in one process).
TEST(Dropout, OwnGeneratorGivesTheGlobalGeneratorsMasksAndIgnoresOtherThreads) {
  torch::manual_seed(4);
  amf::MlpPolicy net(amf::MlpPolicyConfig{4, 2, 2, 32, true, 0.0});
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    net->to(dtype);
    const auto x = torch::randn({50, 4}, dtype);
    torch::manual_seed(11);
    const auto global = net->forward(x, 0.3);
    at::Generator own = at::detail::createCPUGenerator(11);
    const auto mine = net->forward(x, 0.3, own);
    EXPECT_TRUE(torch::equal(global, mine)) << dtype;
    EXPECT_FALSE(torch::equal(mine, net->forward(x, 0.3, own)));  // the stream moves on
  }
  at::Generator unset;
  EXPECT_THROW(net->forward(torch::zeros({1, 4}, torch::kFloat64), 0.1, unset), amf::InvalidArgument);

  const auto states = torch::randn({40, 2}, torch::kFloat64);
  const auto tasks = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
  const auto alone = amf::dropout_prior_variance(net, states, tasks, 8, 0.2, 5);
  const GlobalGeneratorReseeder reseeder;
  std::vector<torch::Tensor> concurrent(2);
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&, t] {
      for (int r = 0; r < 20; ++r) {
        auto v = amf::dropout_prior_variance(net, states, tasks, 8, 0.2, 5);
        if (r == 0 || !torch::equal(v, alone)) concurrent[t] = v;
      }
    });
  for (auto& c : callers) c.join();
  for (const auto& v : concurrent) EXPECT_TRUE(torch::equal(v, alone));
}

// Training with dropout (behaviour cloning and fine-tuning, isolated copies included) draws its
// masks from a generator of its own, seeded as LibTorch's global one was before (so on the CPU
// the masks, and every result, are unchanged), and runs on several threads while another thread
// reseeds the global generator give the result of one run alone.
TEST(Dropout, TrainingMasksComeFromOwnGeneratorsAndIgnoreOtherThreads) {
  const amf::MlpPolicyConfig pc{4, 2, 2, 32, true, 0.3};
  torch::manual_seed(5);
  amf::MlpPolicy net(pc);
  net->to(torch::kFloat64);
  const auto x = torch::randn({3, 20, 4}, torch::kFloat64);
  for (int copies : {1, 3}) {
    const auto params = amf::stack_copies(net, copies);
    const auto xs = x.narrow(0, 0, copies);
    torch::manual_seed(21);
    const auto global = amf::stacked_forward(pc, params, xs, /*train=*/true);
    at::Generator own = at::detail::createCPUGenerator(21);
    EXPECT_TRUE(torch::equal(global, amf::stacked_forward(pc, params, xs, /*train=*/true, &own))) << copies;
    EXPECT_TRUE(torch::equal(amf::stacked_forward(pc, params, xs), amf::stacked_forward(pc, params, xs, false, &own)));
  }

  amf::FinetuneConfig cfg;
  cfg.epochs = 3;
  cfg.steps_per_round = 15;
  cfg.batch_size = 16;
  cfg.device = "cpu";
  cfg.seed = 8;
  amf::ForgettingConfig fc;
  fc.kind = amf::Forgetting::ParameterIsolation;
  fc.centres = torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0}}, torch::kFloat64);
  const auto pretraining = amf_test::synthetic_bc(120, 0.0, 2 * M_PI, 3);
  const auto round = amf_test::synthetic_bc(90, 0.0, M_PI, 4);
  // Pre-trains a copy of `net`, fine-tunes it for two rounds; returns every loss and prediction.
  const auto run = [&] {
    auto policy = amf::unstack_copy(pc, amf::stack_copies(net, 1), 0);
    auto losses = amf::behaviour_clone(policy, pretraining, cfg);
    amf::FineTuner tuner(policy, fc, cfg);
    for (int r = 0; r < 2; ++r)
      for (double l : tuner.fine_tune(round)) losses.push_back(l);
    return std::make_pair(losses, tuner.predict(pretraining.inputs));
  };
  const auto alone = run();
  torch::manual_seed(21);
  EXPECT_EQ(run().first, alone.first);  // the global generator's state plays no part

  const GlobalGeneratorReseeder reseeder;
  std::vector<int> differing(2, 0);
  std::vector<std::thread> trainers;
  for (int t = 0; t < 2; ++t)
    trainers.emplace_back([&, t] {
      for (int r = 0; r < 4; ++r) {
        const auto mine = run();
        if (mine.first != alone.first || !torch::equal(mine.second, alone.second)) ++differing[t];
      }
    });
  for (auto& t : trainers) t.join();
  EXPECT_EQ(differing, (std::vector<int>{0, 0}));
}

// On a CUDA device the training masks come from a CUDA generator of the trainer's own, drawn on
// the device: two runs with one seed agree, another seed differs. (Runs where LibTorch sees a device.)
TEST(Dropout, CudaTrainingMasksAreReproducibleForASeed) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "LibTorch sees no CUDA device";
  const amf::MlpPolicyConfig pc{4, 2, 2, 32, true, 0.3};
  amf::FinetuneConfig cfg;
  cfg.epochs = 2;
  cfg.steps_per_round = 10;
  cfg.batch_size = 16;
  cfg.device = "cuda";
  amf::ForgettingConfig fc;
  fc.kind = amf::Forgetting::ParameterIsolation;
  fc.centres = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
  const auto data = amf_test::synthetic_bc(64, 0.0, M_PI, 3);
  const auto run = [&](std::uint64_t seed) {
    torch::manual_seed(5);
    amf::MlpPolicy policy(pc);
    policy->to(torch::kFloat64);
    cfg.seed = seed;
    auto losses = amf::behaviour_clone(policy, data, cfg);
    amf::FineTuner tuner(policy, fc, cfg);
    for (double l : tuner.fine_tune(data)) losses.push_back(l);
    return losses;
  };
  // Within 1e-9, not bit for bit: CUDA kernels may sum in another order from run to run, while
  // other masks change the losses in the second or third digit.
  const auto max_difference = [](const std::vector<double>& x, const std::vector<double>& y) {
    double d = 0;
    for (std::size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(x[i] - y[i]));
    return d;
  };
  const auto a = run(8), b = run(8);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_LT(max_difference(a, b), 1e-9);
  EXPECT_GT(max_difference(a, run(9)), 1e-6);
}

using amf_test::save_scripted_policy;

TEST(HeadFinetune, HeadLearnsAndTrunkIsUntouched) {
  const auto path = save_scripted_policy((std::filesystem::temp_directory_path() / "amf_head_ft.pt").string(), 4, 16, 2);
  amf::TorchScriptPolicy policy(path);
  const auto data = amf_test::synthetic_bc(256, 0, 2 * M_PI, 6);
  const auto trunk_before = policy.trunk(data.inputs);
  const auto head_before = policy.head_parameters()[0].clone();
  amf::FinetuneConfig cfg;
  cfg.steps_per_round = 300;
  cfg.batch_size = 64;
  cfg.learning_rate = 1e-2;
  cfg.device = "cpu";
  const auto losses = amf::fine_tune_head(policy, data, cfg);
  ASSERT_EQ(losses.size(), 300u);
  EXPECT_LT(losses.back(), 0.2 * losses.front());
  EXPECT_TRUE(torch::equal(policy.trunk(data.inputs), trunk_before));
  const auto head = policy.head_parameters();
  EXPECT_FALSE(torch::equal(head[0], head_before));
  const auto expect = trunk_before.matmul(head[0].t()) + head[1];
  EXPECT_LT((policy.forward(data.inputs) - expect).abs().max().item<double>(), 1e-12);

  amf::BcData three = data;
  three.actions = torch::zeros({256, 3}, torch::kFloat64);
  try {
    amf::fine_tune_head(policy, three, cfg);
    ADD_FAILURE() << "no error";
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("outputs 2 action dimensions, the data has 3"), std::string::npos) << e.what();
  }
}

}  // namespace
