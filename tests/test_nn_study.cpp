// The AMF-NN study: selection inputs of a fine-tuned policy under parameter isolation, and a
// tiny study end to end (deterministic, resumable, bad configurations named).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "amf/harness/environments.hpp"
#include "amf/error.hpp"
#include "file_fixture.hpp"
#include "amf/features.hpp"
#include "amf/torch/fine_tuner.hpp"
#include "amf/torch/nn_selection.hpp"
#include "amf/torch/nn_study.hpp"

namespace fs = std::filesystem;

namespace {

amf::Dataset kitchen_pool(amf::Environment& env, int per_task) {
  const auto expert = amf::make_expert(env);
  amf::Dataset d(env.state_dim(), env.action_dim(), env.task_dim());
  for (int k = 0; k < env.num_tasks(); ++k)
    for (int i = 0; i < per_task; ++i) {
      amf::Trajectory t = amf::demonstrate(env, *expert, env.task_vector(k), 0.1, 10 * k + i);
      // Keep every 10th step: a small pool.
      amf::Trajectory s{t.task, {}, {}};
      for (std::size_t step = 0; step * env.state_dim() < t.states.size(); step += 10) {
        s.states.insert(s.states.end(), t.states.begin() + step * env.state_dim(),
                        t.states.begin() + (step + 1) * env.state_dim());
        s.actions.insert(s.actions.end(), t.actions.begin() + step * env.action_dim(),
                         t.actions.begin() + (step + 1) * env.action_dim());
      }
      d.add(std::move(s));
    }
  return d;
}

amf::NnStudyConfig tiny_study() {
  amf::NnStudyConfig c = amf::nn_study_preset("fig4", "cupfaucet");
  c.pretrain = {"skewed"};
  c.seeds = 1;
  c.budget = 2;
  c.eval_episodes = 1;
  c.pretrain_demos = 4;
  c.policy.depth = 1;
  c.policy.width = 16;
  c.finetune.epochs = 5;
  c.finetune.steps_per_round = 5;
  c.finetune.batch_size = 64;
  c.selection_stride = 8;
  c.bootstrap_resamples = 50;
  c.threads = 1;
  c.arms = {c.arms[1], c.arms[3], amf::NnArm{}};  // amf s2=100, uniform, dropout
  c.arms[2].label = "dropout";
  c.arms[2].selector = "dropout";
  c.dropout_passes = 4;
  return c;
}

}  // namespace

// Under parameter isolation the copies share no parameter: the kernel between points of
// different partitions is zero, and within a partition it is that copy's own loss-gradient
// kernel (checked against the copy's features computed directly, 1e-12 relative).
TEST(NnStudy, IsolatedSelectionInputsHaveABlockDiagonalKernel) {
  auto env = amf::make_environment("kitchen");
  const amf::Dataset pool = kitchen_pool(*env, 1);
  const int K = env->num_tasks(), dc = env->task_dim();
  amf::MlpPolicyConfig pc{env->state_dim() + dc, env->action_dim(), 2, 16, true, 0.0};
  torch::manual_seed(3);
  amf::MlpPolicy policy(pc);
  policy->to(torch::kFloat64);
  amf::ForgettingConfig forgetting;
  forgetting.kind = amf::Forgetting::ParameterIsolation;
  std::vector<double> tasks;
  for (int k = 0; k < K; ++k)
    for (double v : env->task_vector(k)) tasks.push_back(v);
  forgetting.centres = torch::from_blob(tasks.data(), {K, dc}, torch::kFloat64).clone();
  amf::FinetuneConfig fc;
  fc.steps_per_round = 3;
  fc.device = "cpu";
  amf::FineTuner tuner(policy, forgetting, fc);
  // Make the copies differ: fine-tune on two tasks' data only.
  amf::Dataset two(env->state_dim(), env->action_dim(), dc);
  two.add(pool[0]);
  two.add(pool[2]);
  tuner.fine_tune(amf::make_bc_data(two));

  std::vector<double> probs(K, 1.0 / K);
  const amf::MatrixView<double> task_view(tasks.data(), K, dc);
  amf::NnSelectionInputs inputs(tuner, pool, task_view, task_view, amf::VectorView<double>(probs), 0.5,
                                amf::GradientEmbedding::Full);
  const auto& p = inputs.problem();
  const std::int64_t n = pool.total_steps(), rows = K * n;
  const auto gram = amf::feature_gram(p.target_features, p.target_features);

  // Each copy's own features of its task's relabelled points, directly.
  std::vector<torch::Tensor> states;
  for (const auto& t : pool.trajectories())
    states.push_back(torch::from_blob(const_cast<double*>(t.states.data()),
                                      {static_cast<std::int64_t>(t.states.size()) / env->state_dim(), env->state_dim()},
                                      torch::kFloat64));
  std::vector<torch::Tensor> actions;
  for (const auto& t : pool.trajectories())
    actions.push_back(torch::from_blob(const_cast<double*>(t.actions.data()),
                                       {static_cast<std::int64_t>(t.actions.size()) / env->action_dim(), env->action_dim()},
                                       torch::kFloat64));
  const auto S = torch::cat(states), A = torch::cat(actions);
  double max_cross = 0, max_rel = 0;
  for (int k = 0; k < K; ++k) {
    amf::MlpPolicy copy = tuner.policy(k);
    copy->to(torch::kFloat64);
    const auto x = torch::cat({S, torch::from_blob(tasks.data() + k * dc, {1, dc}, torch::kFloat64).repeat({n, 1})}, 1);
    const auto f = amf::loss_gradient_features(copy, x, A);
    const auto own = amf::feature_gram(f.view(), f.view());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const double got = gram[(k * n + i) * rows + k * n + j], want = own[i * n + j];
        max_rel = std::max(max_rel, std::abs(got - want) / std::max(1.0, std::abs(want)));
      }
    for (int l = 0; l < K; ++l)
      if (l != k)
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t j = 0; j < n; ++j) max_cross = std::max(max_cross, std::abs(gram[(k * n + i) * rows + l * n + j]));
  }
  EXPECT_LT(max_rel, 1e-12);
  EXPECT_EQ(max_cross, 0.0);
}

TEST(NnStudy, TinyStudyRunsIsDeterministicAndResumes) {
  const amf::NnStudyConfig c = tiny_study();
  const fs::path dir = fs::temp_directory_path() / "amf_test_nn_study";
  fs::remove_all(dir);
  std::vector<amf::StudyProgress> reports;
  auto record = [&](const amf::StudyProgress& p) { reports.push_back(p); };
  const auto first = amf::run_nn_study(c, record, (dir / "runs").string());
  ASSERT_EQ(reports.size(), 3u);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].done, static_cast<int>(i) + 1);
    EXPECT_EQ(reports[i].total, 3);
    EXPECT_EQ(reports[i].restored, 0);
    EXPECT_GE(reports[i].seconds_left(), 0.0);
  }
  EXPECT_EQ(reports.back().seconds_left(), 0.0);
  // Rounds: budget 2 at batch 2 is one round after round 0, for each of the 3 arms.
  ASSERT_EQ(first.rounds.size(), 3u * 2u);
  ASSERT_EQ(first.picks.size(), 3u * 2u);
  for (const auto& r : first.rounds) {
    EXPECT_GE(r.success, 0.0);
    EXPECT_LE(r.success, 1.0);
    EXPECT_EQ(r.task_success.size(), 4u);
  }
  amf::write_nn_study_outputs(c, first, (dir / "a").string());
  // Resumed from the checkpoints (nothing left to run) and recomputed from scratch: the same.
  reports.clear();
  const auto resumed = amf::run_nn_study(c, record, (dir / "runs").string());
  // Every arm came from a checkpoint: none was computed, so no time left can be estimated.
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports.back().done, 3);
  EXPECT_EQ(reports.back().restored, 3);
  EXPECT_LT(reports.back().seconds_left(), 0.0);
  amf::write_nn_study_outputs(c, resumed, (dir / "b").string());
  const auto fresh = amf::run_nn_study(c);
  amf::write_nn_study_outputs(c, fresh, (dir / "c").string());
  for (const char* f : {"curves.csv", "picks.csv", "auc.csv", "summary.txt"}) {
    EXPECT_EQ(amf_test::read_file((dir / "a" / f).string()), amf_test::read_file((dir / "b" / f).string())) << f;
    EXPECT_EQ(amf_test::read_file((dir / "a" / f).string()), amf_test::read_file((dir / "c" / f).string())) << f;
  }
  // Another configuration in the same checkpoint directory is refused, not mixed in.
  amf::NnStudyConfig other = c;
  other.budget = 4;
  EXPECT_THROW(amf::run_nn_study(other, {}, (dir / "runs").string()), amf::InvalidArgument);
}

// Jobs at a time (threads) change nothing: every job is single-threaded, and the dropout arm's
// masks come from a generator of its own, not LibTorch's global one that the other jobs reseed.
TEST(NnStudy, ResultsDoNotDependOnTheJobsAtATime) {
  amf::NnStudyConfig c = tiny_study();
  c.pretrain = {"skewed", "uniform"};
  c.seeds = 2;
  const fs::path dir = fs::temp_directory_path() / "amf_test_nn_study_threads";
  fs::remove_all(dir);
  amf::write_nn_study_outputs(c, amf::run_nn_study(c), (dir / "one").string());
  c.threads = 3;
  amf::write_nn_study_outputs(c, amf::run_nn_study(c), (dir / "three").string());
  for (const char* f : {"curves.csv", "picks.csv"})
    EXPECT_EQ(amf_test::read_file((dir / "one" / f).string()), amf_test::read_file((dir / "three" / f).string())) << f;
}

// A job resumed on another machine or build pre-trains a slightly different policy (float results
// differ between CPUs), and arms from the two would not be paired: saved arms are kept only when
// they record this pre-training or, in files older than that record, match its round 0.
TEST(NnStudy, SavedArmsOfAnotherPretrainingAreRecomputed) {
  const amf::NnStudyConfig c = tiny_study();
  const fs::path dir = fs::temp_directory_path() / "amf_test_nn_pretrained";
  fs::remove_all(dir);
  const std::string runs = (dir / "runs").string();
  const auto first = amf::run_nn_study(c, {}, runs);
  const std::string job = runs + "/job_skewed_seed" + std::to_string(c.first_seed) + ".json";
  auto saved = nlohmann::json::parse(amf_test::read_file(job));
  auto& arms = saved["arms"];
  const std::string id = arms[c.arms[0].label]["pretrained"];
  EXPECT_EQ(id.size(), 16u);
  for (const auto& arm : c.arms) EXPECT_EQ(arms[arm.label]["pretrained"], id) << arm.label;

  const double marked = 0.123456;
  auto& other = arms[c.arms[0].label];   // from another pre-training: recomputed
  other["pretrained"] = "0123456789abcdef";
  other["rounds"][1][5] = marked;
  auto& old_differs = arms[c.arms[1].label];  // no record, round 0 differs: recomputed
  old_differs.erase("pretrained");
  old_differs["rounds"][0][6][0] = old_differs["rounds"][0][6][0].get<double>() + 0.5;
  old_differs["rounds"][1][5] = marked;
  auto& old_same = arms[c.arms[2].label];  // no record, round 0 equal: kept as saved
  old_same.erase("pretrained");
  old_same["rounds"][1][5] = marked;
  std::ofstream(job) << saved.dump();

  const auto resumed = amf::run_nn_study(c, {}, runs);
  auto round1 = [](const amf::NnStudyResults& r, const std::string& arm) {
    for (const auto& x : r.rounds)
      if (x.arm == arm && x.round == 1) return x.success;
    return -1.0;
  };
  EXPECT_EQ(round1(resumed, c.arms[0].label), round1(first, c.arms[0].label));
  EXPECT_EQ(round1(resumed, c.arms[1].label), round1(first, c.arms[1].label));
  EXPECT_EQ(round1(resumed, c.arms[2].label), marked);
  const auto after = nlohmann::json::parse(amf_test::read_file(job));
  for (const auto& arm : c.arms) EXPECT_EQ(after["arms"][arm.label]["pretrained"], id) << arm.label;
}

TEST(NnStudy, BadConfigurationsAreNamed) {
  EXPECT_THROW(amf::nn_study_preset("fig9", "kitchen"), amf::InvalidArgument);
  EXPECT_THROW(amf::nn_study_preset("fig4", "kitchen", "huge"), amf::InvalidArgument);
  auto expect_message = [](amf::NnStudyConfig c, const std::string& what) {
    try {
      amf::validate(c);
      ADD_FAILURE() << "no error for " << what;
    } catch (const amf::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  amf::NnStudyConfig c = amf::nn_study_preset("fig4", "kitchen");
  auto bad = c;
  bad.env = "integrator2d";
  expect_message(bad, "integrator2d");
  bad = c;
  bad.pretrain = {"lopsided"};
  expect_message(bad, "lopsided");
  bad.pretrain = {"only-x"};
  expect_message(bad, "only-x");
  EXPECT_EQ(amf::one_task_pretrain_index("only-3"), 3);
  EXPECT_EQ(amf::one_task_pretrain_index("only-"), -1);
  EXPECT_EQ(amf::one_task_pretrain_index("skewed"), -1);
  bad.pretrain = {"only-7"};  // kitchen has 5 tasks: refused before any job starts
  try {
    amf::run_nn_study(bad);
    ADD_FAILURE() << "only-7 on kitchen should be refused";
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("kitchen has 5 tasks"), std::string::npos) << e.what();
  }
  bad = c;
  bad.arms[1].label = bad.arms[0].label;
  expect_message(bad, "unique");
  bad = c;
  bad.arms[0].selector = "oracle";
  expect_message(bad, "oracle");
  bad = c;
  bad.arms[0].noise_variance = 0;
  expect_message(bad, "noise_variance");
}

// The baselines of issue #16: privileged rebalancing picks the tasks the deployed policy fails
// most at the last evaluation, max-loss the tasks whose warm-start demonstrations the selection
// copy imitates worst; both are in the fig4 preset.
TEST(NnStudy, BaselineArmsPickWhatTheyPromise) {
  const auto fig4 = amf::nn_study_preset("fig4", "cupfaucet");
  std::vector<std::string> selectors;
  for (const auto& a : fig4.arms) selectors.push_back(a.selector);
  EXPECT_NE(std::find(selectors.begin(), selectors.end(), "rebalance"), selectors.end());
  EXPECT_NE(std::find(selectors.begin(), selectors.end(), "max-loss"), selectors.end());

  amf::NnStudyConfig c = tiny_study();
  c.arms = {fig4.arms[5], fig4.arms[6]};
  c.budget = 4;
  const auto r = amf::run_nn_study(c);
  // Rebalancing's round-0 picks are among the least successful tasks at round 0.
  std::vector<double> success0;
  for (const auto& rec : r.rounds)
    if (rec.arm == c.arms[0].label && rec.round == 0) success0 = rec.task_success;
  ASSERT_EQ(success0.size(), 4u);
  auto env = amf::make_environment("cupfaucet");
  const auto names = env->task_names();
  std::vector<double> sorted = success0;
  std::sort(sorted.begin(), sorted.end());
  int picks0 = 0;
  for (const auto& p : r.picks) {
    if (p.round != 0) continue;
    const int k = static_cast<int>(std::find(names.begin(), names.end(), p.task) - names.begin());
    ASSERT_LT(k, 4);
    if (p.arm == c.arms[0].label) {
      ++picks0;
      EXPECT_LE(success0[k], sorted[1]) << p.task;  // batch 2: one of the two least successful
    }
  }
  EXPECT_EQ(picks0, 2);
  // Max-loss spends the budget on distinct tasks within a round.
  for (int round = 0; round < 2; ++round) {
    std::set<std::string> tasks;
    int picks = 0;
    for (const auto& p : r.picks)
      if (p.arm == c.arms[1].label && p.round == round) {
        ++picks;
        EXPECT_TRUE(tasks.insert(p.task).second) << p.task;
      }
    EXPECT_EQ(picks, 2) << "round " << round;
  }
  amf::NnStudyConfig bad = c;
  bad.warm_start_demos = 0;
  EXPECT_THROW(amf::validate(bad), amf::InvalidArgument);
}

// App. E: one-task pre-training on each task in turn, with AMF at Fig. 4's primary sigma^2 and
// every baseline under the same labels as Fig. 4 (the claims table pairs them by label).
TEST(NnStudy, AppEPresetSkewsOnEachTaskWithTheBaselines) {
  const auto fig4 = amf::nn_study_preset("fig4", "kitchen");
  for (const std::string env : {"kitchen", "cupfaucet"}) {
    const auto c = amf::nn_study_preset("appe", env, "paper");
    const int K = amf::make_environment(env)->num_tasks();
    ASSERT_EQ(static_cast<int>(c.pretrain.size()), K) << env;
    for (int k = 0; k < K; ++k) EXPECT_EQ(amf::one_task_pretrain_index(c.pretrain[k]), k) << env;
    std::vector<std::string> selectors;
    for (const auto& arm : c.arms) {
      selectors.push_back(arm.selector);
      const bool in_fig4 = std::any_of(fig4.arms.begin(), fig4.arms.end(), [&](const amf::NnArm& a) {
        return a.label == arm.label && a.selector == arm.selector && a.noise_variance == arm.noise_variance;
      });
      EXPECT_TRUE(in_fig4) << arm.label << " is not a Fig. 4 arm";
    }
    EXPECT_EQ(selectors, (std::vector<std::string>{"amf", "uniform", "rebalance", "max-loss"})) << env;
    EXPECT_EQ(c.seeds, 10);
  }
}

// Fig. 5 compares batch sizes at a fixed budget: every arm gets the same gradient steps per
// demonstration, and uniform runs at each batch size an AMF arm uses (issue #16).
TEST(NnStudy, Fig5FixesStepsPerDemonstrationAndPairsEachBatchSize) {
  const auto c = amf::nn_study_preset("fig5", "cupfaucet");
  EXPECT_TRUE(c.steps_per_demonstration);
  std::set<int> amf_batches, uniform_batches;
  for (const auto& a : c.arms) (a.selector == "amf" ? amf_batches : uniform_batches).insert(a.batch_size);
  for (int b : amf_batches) EXPECT_TRUE(uniform_batches.count(b)) << "no uniform arm at batch " << b;
  EXPECT_FALSE(amf::nn_study_preset("fig4", "cupfaucet").steps_per_demonstration);
}
