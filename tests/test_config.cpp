// TOML study configuration: the shipped example loads; every mistake names file and field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "amf/harness/config.hpp"
#include "amf/harness/sweep.hpp"
#include "amf/error.hpp"

namespace {

// ctest runs each test in its own process, two at a time: a file name shared by two tests raced
// (one test read the other's half-written config), so each name carries the running test's name.
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const auto path = (std::filesystem::temp_directory_path() / (test + "_" + name)).string();
  std::ofstream(path) << text;
  return path;
}

void expect_error(const std::string& text, const std::string& fragment) {
  const std::string path = write_temp("amf_test_config.toml", text);
  try {
    amf::load_study_config(path);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const amf::InvalidArgument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

TEST(StudyConfig, ShippedExampleLoads) {
  const auto c = amf::load_study_config(AMF_SOURCE_DIR "/configs/gp_study.toml");
  EXPECT_EQ(c.study, "gp");
  EXPECT_EQ(c.gp.k_values, (std::vector<int>{12, 9, 6, 3, 1}));
  EXPECT_EQ(c.gp.shooting_budget, 128);
  EXPECT_DOUBLE_EQ(c.gp.clip.lo, -10.0);
  EXPECT_DOUBLE_EQ(c.gp.noise_variance, 0.0025);
}

TEST(StudyConfig, PresetThenOverrides) {
  const auto path = write_temp("amf_preset.toml", "preset = \"paper\"\n[run]\nseeds = 3\n");
  const auto c = amf::load_study_config(path);
  EXPECT_EQ(c.gp.shooting_budget, 1000);  // from the paper preset
  EXPECT_EQ(c.gp.seeds, 3);               // overridden
}

TEST(StudyConfig, MistakesAreNamed) {
  expect_error("[run]\nsedes = 3\n", "unknown field 'run.sedes' (did you mean 'seeds'?)");
  expect_error("[selection]\nshooting_bugdet = 3\n", "did you mean 'shooting_budget'?");
  expect_error("seeds = 3\n", "did you mean 'run.seeds' under [run]?");
  expect_error("[runn]\nseeds = 3\n", "unknown section [runn] (did you mean 'run'?)");
  expect_error("[run]\nseeds = \"four\"\n", "field 'run.seeds' must be an integer (got a string)");
  expect_error("[policy]\nnoise_variance = \"small\"\n", "field 'policy.noise_variance' must be a number");
  expect_error("[policy]\nnoise_variance = -1.0\n", "'policy.noise_variance' = -1");
  expect_error("[run]\nk_values = [0, 3]\n", "'run.k_values' = 0");
  expect_error("[run]\nk_values = [\"a\"]\n", "run.k_values[]");
  expect_error("[selection]\nclip = [1.0]\n", "must be [lo, hi]");
  expect_error("study = \"nn\"\n", "known studies: gp");
  expect_error("preset = \"huge\"\n", "preset 'huge'");
  expect_error("[run\n", "not valid TOML");
  EXPECT_THROW(amf::load_study_config("/nonexistent/amf.toml"), amf::InvalidArgument);
}

// Issue #15 item 2: values of the right type but outside what the study can run were accepted
// (radius = 1e308 gave -inf returns, inf and nan failed later in a Cholesky naming no field,
// horizon = 1e9 ran out of memory, repeated k values or methods gave duplicate rows). Each is
// now named with its file, field, value and range at load time.
TEST(StudyConfig, OutOfRangeValuesAreNamedAtLoad) {
  expect_error("[env]\nradius = 1e308\n", "field 'env.radius' = 1e+308 (must be a number in (0, 1e+06])");
  expect_error("[env]\nradius = inf\n", "field 'env.radius' = inf");
  expect_error("[policy]\nnoise_variance = nan\n", "field 'policy.noise_variance' = nan");
  expect_error("[env]\nexpert_gain = inf\n", "field 'env.expert_gain' = inf");
  expect_error("[env]\nexpert_gain = -1\n", "field 'env.expert_gain' = -1 (must be a number in (0, 2))");
  expect_error("[env]\nmax_speed = inf\n", "field 'env.max_speed' = inf");
  expect_error("[env]\nhorizon = 1000000000\n", "field 'env.horizon' = 1000000000 (must be an integer in 1..10000)");
  expect_error("[env]\npretrain_demos = 1000000000\n", "field 'env.pretrain_demos' = 1000000000");
  expect_error("[env]\nnum_eval_tasks = 100000\n", "field 'env.num_eval_tasks' = 100000");
  expect_error("[run]\nk_values = [1, 1]\n", "field 'run.k_values' repeats a value");
  expect_error("[run]\nmethods = [\"amf\", \"amf\"]\n", "field 'run.methods' repeats a method");
  expect_error("[selection]\nmin_weight = -1\n", "field 'selection.min_weight' = -1 (must be a number in [0, 1))");
  expect_error("[selection]\nclip = [-inf, 10.0]\n", "field 'selection.clip' = -inf");
  expect_error("[policy]\nsignal_variance = 1.0\nnoise_variance = 1e-12\n", "at least 1e-10 x policy.signal_variance");
  // Each field within its range, but a run's GP would hold 20 x 1000 x 12 steps.
  expect_error("[env]\npretrain_demos = 20000\nhorizon = 12\n", "more than 20000");
}

TEST(NearestName, SuggestsOnlyCloseNames) {
  EXPECT_EQ(amf::nearest_name("sedes", {"seeds", "rounds"}), "seeds");
  EXPECT_EQ(amf::nearest_name("zzzzzzzz", {"seeds", "rounds"}), "");
}

// Issue #15: the config fuzzer's seeds and every input it found wrong (tests/fuzz/run_fuzz_config.sh),
// through both loaders on each run: each file loads or is refused with an amf::Error naming it;
// nothing else (a crash, std::bad_alloc, a toml++ or standard library exception) may come out.
TEST(StudyConfig, FuzzSeedsAndRegressionsNeverCrash) {
  int files = 0;
  for (const char* dir : {"config_seeds", "config_regressions"})
    for (const auto& entry : std::filesystem::directory_iterator(std::string(AMF_SOURCE_DIR) + "/tests/fuzz/" + dir)) {
      const std::string path = entry.path().string();
      ++files;
      const auto check = [&path](const char* loader, const auto& load) {
        try {
          load(path);
        } catch (const amf::Error& e) {
          EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << loader << ": " << e.what();
        } catch (const std::exception& e) {
          ADD_FAILURE() << loader << "(" << path << ") threw a non-amf exception: " << e.what();
        }
      };
      check("load_study_config", [](const std::string& p) { amf::load_study_config(p); });
      check("load_sweep_config", [](const std::string& p) { amf::load_sweep_config(p); });
    }
  EXPECT_GE(files, 10);
}

}  // namespace
