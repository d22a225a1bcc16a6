// Sweeps: grid expansion, the file's errors, the run lock, and that a sweep merged from its
// independent runs equals one study of the same grid file for file.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "amf/error.hpp"
#include "file_fixture.hpp"
#include "amf/harness/sweep.hpp"
#include "io/run_lock.hpp"

namespace fs = std::filesystem;

namespace {

const char* kTinyStudy = R"(study = "gp"
preset = "default"
[run]
rounds = 1
[selection]
shooting_budget = 16
[env]
episodes_per_task = 1
[report]
bootstrap_resamples = 50
)";

std::string temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("amf_test_sweep_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& path) {
  try {
    amf::load_sweep_config(path);
  } catch (const amf::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Sweep, ExpandsTheFullGridWithUniqueIdsAndTheGridValuesApplied) {
  const auto dir = temp_dir("expand");
  const auto path = write(dir, "s.toml", std::string(kTinyStudy) + R"(
[sweep]
seeds = [3, 5]
k_values = [6, 1]
methods = ["amf", "uniform", "rebalance"]
[sweep.grid]
"policy.noise_variance" = [0.0025, 0.01]
"run.rounds" = [1, 2]
)");
  const amf::SweepConfig s = amf::load_sweep_config(path);
  const auto runs = amf::expand_sweep(s);
  ASSERT_EQ(runs.size(), 2u * 2u * 2u * 2u * 3u);
  std::set<std::string> ids, variants;
  for (const auto& r : runs) {
    ids.insert(r.id);
    variants.insert(r.variant);
    EXPECT_EQ(r.config.gp.seeds, 1);
    EXPECT_EQ(r.config.gp.k_values.size(), 1u);
    EXPECT_EQ(r.config.gp.methods.size(), 1u);
    EXPECT_TRUE(r.config.gp.first_seed == 3 || r.config.gp.first_seed == 5);
  }
  EXPECT_EQ(ids.size(), runs.size());
  EXPECT_EQ(variants.size(), 4u);
  EXPECT_EQ(runs.front().variant, "policy.noise_variance=0.0025,run.rounds=1");
  EXPECT_EQ(runs.front().id, "k6_seed3_amf__policy.noise_variance=0.0025,run.rounds=1");
  EXPECT_DOUBLE_EQ(runs.front().config.gp.noise_variance, 0.0025);
  EXPECT_EQ(runs.back().config.gp.rounds, 2);
  EXPECT_DOUBLE_EQ(runs.back().config.gp.noise_variance, 0.01);
}

TEST(Sweep, BadFilesAreNamedWithTheField) {
  const auto dir = temp_dir("errors");
  const std::string base(kTinyStudy);
  EXPECT_NE(error_of(write(dir, "a.toml", base)).find("needs a [sweep] table"), std::string::npos);
  const std::string typo = error_of(write(dir, "b.toml", base + "[sweep]\n[sweep.grid]\n\"policy.noise_varianse\" = [0.1]\n"));
  EXPECT_NE(typo.find("policy.noise_varianse"), std::string::npos) << typo;
  EXPECT_NE(typo.find("did you mean 'policy.noise_variance'"), std::string::npos) << typo;
  const std::string type = error_of(write(dir, "c.toml", base + "[sweep]\n[sweep.grid]\n\"run.rounds\" = [1.5]\n"));
  EXPECT_NE(type.find("run.rounds"), std::string::npos) << type;
  EXPECT_NE(type.find("integer"), std::string::npos) << type;
  const std::string range = error_of(write(dir, "d.toml", base + "[sweep]\nk_values = [13]\n"));
  EXPECT_NE(range.find("'run.k_values' = 13"), std::string::npos) << range;
  EXPECT_NE(error_of(write(dir, "e.toml", base + "[sweep]\nseedz = 2\n")).find("sweep.seedz"), std::string::npos);
  EXPECT_NE(error_of(write(dir, "f.toml", base + "[sweep]\nseeds = [1, 1]\n")).find("repeats"), std::string::npos);
  // "preset" as an axis was accepted and changed nothing (runs differing only in their names).
  EXPECT_NE(error_of(write(dir, "g.toml", base + "[sweep]\n[sweep.grid]\npreset = [1, 2]\n")).find("cannot be a grid axis"),
            std::string::npos);
  EXPECT_NE(error_of(write(dir, "g.toml", base + "[sweep]\nmethods = [\"amf\", \"best\"]\n")).find("best"),
            std::string::npos);
  EXPECT_NE(error_of(write(dir, "h.toml", base + "[sweep]\n[sweep.grid]\n\"run.first_seed\" = [1]\n")).find("sweep axis"),
            std::string::npos);
}

TEST(Sweep, DirectoryLockExcludesASecondHolderAndIsReleased) {
  const auto dir = temp_dir("lock");
  std::string holder;
  {
    auto first = amf::detail::DirectoryLock::try_acquire(dir);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(amf::detail::DirectoryLock::try_acquire(dir, &holder).has_value());
    EXPECT_NE(holder.find("pid"), std::string::npos) << holder;
  }
  EXPECT_TRUE(amf::detail::DirectoryLock::try_acquire(dir).has_value());
}

TEST(Sweep, MergedRunsEqualOneStudyOfTheSameGridAndBusyRunsAreLeftAlone) {
  const auto dir = temp_dir("merge");
  const auto path = write(dir, "s.toml", std::string(kTinyStudy) + R"(
[sweep]
seeds = 2
k_values = [3, 1]
methods = ["amf", "uniform"]
)");
  const amf::SweepConfig s = amf::load_sweep_config(path);
  const std::string out = dir + "/out";

  // A run held by another process is reported Busy and not touched; the merge then names it.
  fs::create_directories(out + "/runs/k1_seed0_amf");
  {
    auto held = amf::detail::DirectoryLock::try_acquire(out + "/runs/k1_seed0_amf");
    ASSERT_TRUE(held.has_value());
    const auto reports = amf::run_sweep(s, out, 0, 1, 2);
    int busy = 0;
    for (const auto& r : reports) busy += r.outcome == amf::RunOutcome::Busy;
    EXPECT_EQ(busy, 1);
    EXPECT_FALSE(fs::exists(out + "/runs/k1_seed0_amf/result.json"));
    try {
      amf::merge_sweep(s, out);
      FAIL() << "merge of an incomplete sweep must fail";
    } catch (const amf::Error& e) {
      EXPECT_NE(std::string(e.what()).find("k1_seed0_amf"), std::string::npos) << e.what();
    }
    const std::string partial = amf::merge_sweep(s, out, true);
    EXPECT_NE(partial.find("incomplete: 1 of 8"), std::string::npos) << partial;
  }
  // Rerunning finishes exactly the missing run.
  const auto reports = amf::run_sweep(s, out, 0, 1, 1);
  int completed = 0, already = 0;
  for (const auto& r : reports) {
    completed += r.outcome == amf::RunOutcome::Completed;
    already += r.outcome == amf::RunOutcome::AlreadyDone;
  }
  EXPECT_EQ(completed, 1);
  EXPECT_EQ(already, 7);
  amf::merge_sweep(s, out);

  // The same grid as one study.
  amf::GpStudyConfig cfg = s.base.gp;
  cfg.seeds = 2;
  cfg.k_values = {3, 1};
  cfg.methods = {"amf", "uniform"};
  const std::string study_dir = dir + "/study";
  amf::write_gp_study_outputs(cfg, amf::run_gp_study(cfg), study_dir);
  for (const char* f : {"curves.csv", "picks.csv", "summary_curves.csv", "summary.json", "summary.txt"})
    EXPECT_EQ(amf_test::read_file(out + "/merged/base/" + f), amf_test::read_file(study_dir + "/" + f)) << f;

  // The directory now belongs to this grid: another grid is refused, not mixed in.
  const auto other = write(dir, "t.toml", std::string(kTinyStudy) + "[sweep]\nseeds = 3\n");
  EXPECT_THROW(amf::run_sweep(amf::load_sweep_config(other), out), amf::InvalidArgument);
}

// A run whose holder goes away without finishing it (a killed process: the kernel drops its
// flock) is resumed by a sweep that waits for held runs; without waiting it is left Busy.
TEST(Sweep, WaitingForAHeldRunResumesItWhenItsHolderLeaves) {
  const auto dir = temp_dir("wait");
  const auto path = write(dir, "s.toml", std::string(kTinyStudy) + "[sweep]\nseeds = 1\nk_values = [1]\nmethods = [\"amf\"]\n");
  const amf::SweepConfig s = amf::load_sweep_config(path);
  const std::string out = dir + "/out", run = out + "/runs/k1_seed0_amf";
  fs::create_directories(run);
  std::optional<amf::detail::DirectoryLock> held = amf::detail::DirectoryLock::try_acquire(run);
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(amf::run_sweep(s, out, 0, 1, 1).front().outcome, amf::RunOutcome::Busy);
  std::thread holder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.reset();
  });
  const auto reports = amf::run_sweep(s, out, 0, 1, 1, {}, /*wait_for_busy=*/true);
  holder.join();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports.front().outcome, amf::RunOutcome::Completed);
  EXPECT_TRUE(fs::exists(run + "/result.json"));
  // Waiting on a run its holder completed reports that, and computes nothing.
  held.emplace(amf::detail::DirectoryLock::acquire(run));
  std::thread finisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held.reset();
  });
  const auto again = amf::run_sweep(s, out, 0, 1, 1, {}, true);
  finisher.join();
  EXPECT_EQ(again.front().outcome, amf::RunOutcome::FinishedElsewhere);
  EXPECT_EQ(again.front().rounds_computed, 0);
}

TEST(Sweep, TheDocumentedExampleLoads) {
  const amf::SweepConfig s = amf::load_sweep_config(AMF_SOURCE_DIR "/configs/sweep.toml");
  EXPECT_EQ(amf::expand_sweep(s).size(), 4u * 3u * 3u * 2u);
  EXPECT_EQ(s.base.out_dir, "results/sweep");
}
