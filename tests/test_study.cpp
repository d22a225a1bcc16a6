// The environment, the expert and a tiny study end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "amf/harness/bootstrap.hpp"
#include "amf/harness/criterion_gain.hpp"
#include "amf/harness/integrator2d.hpp"
#include "amf/harness/policy.hpp"
#include "amf/error.hpp"
#include "amf/harness/study.hpp"

namespace {

TEST(Integrator2D, ExpertReachesEveryEvaluationGoal) {
  amf::Integrator2DConfig cfg;
  amf::Integrator2D env(cfg);
  amf::Integrator2DExpert expert(cfg);
  for (int k = 0; k < 12; ++k) {
    const auto goal = amf::evaluation_task(k, 12, cfg.radius);
    const auto t = amf::demonstrate(env, expert, goal, 0.0, 0);
    EXPECT_LT(std::hypot(env.state()[0] - goal[0], env.state()[1] - goal[1]), 0.05) << "task " << k;
    EXPECT_EQ(t.states.size(), 2u * cfg.horizon);
    EXPECT_DOUBLE_EQ(t.states[0], 0.0);  // starts at the origin
  }
}

TEST(Integrator2D, VelocityIsBoundedAndEpisodesAreDeterministicPerSeed) {
  amf::Integrator2DConfig cfg;
  amf::Integrator2D env(cfg);
  env.reset({1.0, 0.0}, 0);
  env.step({10.0, 0.0});
  EXPECT_NEAR(env.state()[0], cfg.max_speed, 1e-15);
  amf::Integrator2DExpert expert(cfg);
  const auto a = amf::demonstrate(env, expert, {0.0, 1.0}, 0.1, 42);
  const auto b = amf::demonstrate(env, expert, {0.0, 1.0}, 0.1, 42);
  const auto c = amf::demonstrate(env, expert, {0.0, 1.0}, 0.1, 43);
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_NE(a.actions, c.actions);
}

TEST(GpPolicy, ImitatesTheExpertOnADemonstratedTask) {
  amf::Integrator2DConfig cfg;
  amf::Integrator2D env(cfg);
  amf::Integrator2DExpert expert(cfg);
  amf::Dataset data(2, 2, 2);
  const auto goal = amf::evaluation_task(3, 12, 1.0);
  for (int i = 0; i < 3; ++i) data.add(amf::demonstrate(env, expert, goal, 0.05, i));
  const amf::GpPolicy policy(data, {0.5, 0.5, 0.1}, 0.0025);
  const double learned = amf::episode_return(env, policy, goal, 0.0, 1);
  const double opposite = amf::episode_return(env, policy, amf::evaluation_task(9, 12, 1.0), 0.0, 1);
  const amf::Trajectory ideal = amf::demonstrate(env, expert, goal, 0.0, 0);
  double expert_return = 0;
  env.reset(goal, 0);
  for (int t = 0; t < cfg.horizon; ++t) expert_return += env.step({ideal.actions[2 * t], ideal.actions[2 * t + 1]});
  EXPECT_GT(learned, expert_return - 0.5);
  EXPECT_LT(opposite, learned - 3.0);
}

TEST(Bootstrap, IntervalContainsTheMeanAndShrinksWithData) {
  std::vector<double> few{1, 2, 3, 4}, many;
  for (int i = 0; i < 400; ++i) many.push_back(1 + (i % 4));
  const auto a = amf::bootstrap_mean_ci(few, 0.9, 2000, 1), b = amf::bootstrap_mean_ci(many, 0.9, 2000, 1);
  EXPECT_DOUBLE_EQ(a.mean, 2.5);
  EXPECT_LT(a.lo, 2.5);
  EXPECT_GT(a.hi, 2.5);
  EXPECT_LT(b.hi - b.lo, (a.hi - a.lo) / 5);
  const auto one = amf::bootstrap_mean_ci({3.0}, 0.9, 100, 1);
  EXPECT_EQ(one.lo, 3.0);
  EXPECT_EQ(one.hi, 3.0);
}

amf::GpStudyConfig tiny_config() {
  amf::GpStudyConfig cfg = amf::gp_study_preset("default");
  cfg.k_values = {12, 2};
  cfg.seeds = 2;
  cfg.rounds = 2;
  cfg.shooting_budget = 16;
  cfg.episodes_per_task = 1;
  cfg.bootstrap_resamples = 200;
  return cfg;
}

TEST(GpStudy, RecordsEveryRoundAndDoesNotDependOnThreads) {
  amf::GpStudyConfig cfg = tiny_config();
  cfg.threads = 1;
  const auto one = amf::run_gp_study(cfg);
  cfg.threads = 2;
  const auto two = amf::run_gp_study(cfg);
  ASSERT_EQ(one.rounds.size(), 2u * 2 * 3 * 3);  // k x seeds x methods x (rounds + 1)
  ASSERT_EQ(one.picks.size(), 2u * 2 * 3 * 2 * 2);  // k x seeds x methods x rounds x batch
  for (std::size_t i = 0; i < one.rounds.size(); ++i) {
    EXPECT_EQ(one.rounds[i].multitask_return, two.rounds[i].multitask_return);
    EXPECT_EQ(one.rounds[i].entropy, two.rounds[i].entropy);
    EXPECT_TRUE(std::isfinite(one.rounds[i].entropy));
  }
  for (const auto& r : one.rounds) EXPECT_EQ(r.demos, 12 + r.round * cfg.batch_size);
}

TEST(GpStudy, RebalancingDemonstratesTheLeastRepresentedTargets) {
  amf::GpStudyConfig cfg = tiny_config();
  cfg.k_values = {2};
  cfg.methods = {"rebalance"};
  const auto res = amf::run_gp_study(cfg);
  for (const auto& p : res.picks) {
    const int task = static_cast<int>(std::lround(p.angle / (2 * M_PI / 12))) % 12;
    EXPECT_GE(task, 2) << "tasks 0 and 1 were pre-trained on 6 demos each";
    EXPECT_NEAR(p.angle, task * 2 * M_PI / 12, 1e-12);
  }
}

TEST(GpStudy, WritesCsvJsonAndTable) {
  amf::GpStudyConfig cfg = tiny_config();
  const auto res = amf::run_gp_study(cfg);
  const auto dir = (std::filesystem::temp_directory_path() / "amf_test_study").string();
  std::filesystem::remove_all(dir);
  const std::string table = amf::write_gp_study_outputs(cfg, res, dir);
  for (const char* f : {"curves.csv", "picks.csv", "summary_curves.csv", "summary.json", "summary.txt"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  EXPECT_NE(table.find("amf - uniform"), std::string::npos);
  std::ifstream in(dir + "/curves.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "k,method,seed,round,demos,return,entropy");
}

}  // namespace

namespace {

TEST(GpStudyCheckpoint, ResumingAFinishedStudyRecomputesNothingAndChangesNothing) {
  amf::GpStudyConfig cfg = tiny_config();
  const auto dir = (std::filesystem::temp_directory_path() / "amf_test_ckpt").string();
  std::filesystem::remove_all(dir);
  std::vector<amf::StudyProgress> reports;
  auto record = [&](const amf::StudyProgress& p) { reports.push_back(p); };
  const auto first = amf::run_gp_study(cfg, record, dir);
  ASSERT_EQ(reports.size(), 2u * 2u);
  EXPECT_EQ(reports.back().restored, 0);
  EXPECT_EQ(reports.back().seconds_left(), 0.0);
  const auto plain = amf::run_gp_study(cfg);
  reports.clear();
  const auto again = amf::run_gp_study(cfg, record, dir);
  ASSERT_EQ(first.rounds.size(), again.rounds.size());
  for (std::size_t i = 0; i < first.rounds.size(); ++i) {
    EXPECT_EQ(first.rounds[i].multitask_return, again.rounds[i].multitask_return);
    EXPECT_EQ(first.rounds[i].multitask_return, plain.rounds[i].multitask_return);
    EXPECT_EQ(first.rounds[i].entropy, again.rounds[i].entropy);
  }
  for (std::size_t i = 0; i < first.picks.size(); ++i) EXPECT_EQ(first.picks[i].angle, again.picks[i].angle);
  // Every run came whole from its checkpoint: counted as done and as restored, with no rate to
  // estimate the time left from.
  ASSERT_EQ(reports.size(), 2u * 2u);
  EXPECT_EQ(reports.back().done, 4);
  EXPECT_EQ(reports.back().total, 4);
  EXPECT_EQ(reports.back().restored, 4);
  EXPECT_LT(reports.back().seconds_left(), 0.0);
}

TEST(GpStudyCheckpoint, RefusesADirectoryOfAnotherConfiguration) {
  amf::GpStudyConfig cfg = tiny_config();
  const auto dir = (std::filesystem::temp_directory_path() / "amf_test_ckpt_other").string();
  std::filesystem::remove_all(dir);
  amf::run_gp_study(cfg, {}, dir);
  cfg.noise_variance *= 2;
  EXPECT_THROW(amf::run_gp_study(cfg, {}, dir), amf::InvalidArgument);
  std::ofstream(dir + "/run_k12_seed0.json") << "{ not json";
  cfg.noise_variance /= 2;
  try {
    amf::run_gp_study(cfg, {}, dir);
    ADD_FAILURE() << "a corrupt checkpoint was accepted";
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("run_k12_seed0.json"), std::string::npos) << e.what();
  }
}

}  // namespace

// Appendix H (issue #16 item 4): Spearman's rho against SciPy, and the criterion-versus-gain study
// at small size: every candidate scored and demonstrated, paired before/after returns, and an
// information gain that ranks the realised gains (the claim the paper's Fig. 15 makes).
TEST(CriterionGain, SpearmanMatchesScipyWithTies) {
  // scipy.stats.spearmanr([1, 2, 2, 5, 3, 9], [0.1, 0.4, 0.2, 0.3, 0.9, 0.8]).correlation
  EXPECT_NEAR(amf::spearman({1, 2, 2, 5, 3, 9}, {0.1, 0.4, 0.2, 0.3, 0.9, 0.8}), 0.6667366910003157, 1e-12);
  EXPECT_EQ(amf::spearman({1, 1, 1}, {1, 2, 3}), 0.0);
  EXPECT_THROW(amf::spearman({1}, {2}), amf::InvalidArgument);
}

TEST(CriterionGain, TheInformationGainRanksTheRealisedGains) {
  amf::CriterionGainConfig c;
  c.k = 3;
  c.candidates = 12;
  c.seeds = 2;
  c.threads = 2;
  const auto records = amf::run_criterion_gain(c);
  ASSERT_EQ(records.size(), 24u);
  for (const auto& r : records) EXPECT_EQ(r.return_before, records[r.seed * 12].return_before);
  const auto dir = (std::filesystem::temp_directory_path() / "amf_criterion_gain").string();
  const std::string table = amf::write_criterion_gain_outputs(c, records, dir);
  EXPECT_TRUE(std::filesystem::exists(dir + "/gain.csv"));
  for (int s = 0; s < 2; ++s) {
    std::vector<double> info, gain;
    for (const auto& r : records)
      if (r.seed == s) {
        info.push_back(r.info_gain);
        gain.push_back(r.return_after - r.return_before);
      }
    EXPECT_GT(amf::spearman(info, gain), 0.3) << table;
  }
  c.candidates = 1;
  EXPECT_THROW(amf::validate(c), amf::InvalidArgument);
}

