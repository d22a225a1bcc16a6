// TOML study configuration: the shipped example loads; every mistake names file and field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "amf/harness/config.hpp"
#include "amf/error.hpp"

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = (std::filesystem::temp_directory_path() / name).string();
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
  expect_error("[policy]\nnoise_variance = -1.0\n", "noise_variance = -1");
  expect_error("[run]\nk_values = [0, 3]\n", "k = 0");
  expect_error("[run]\nk_values = [\"a\"]\n", "run.k_values[]");
  expect_error("[selection]\nclip = [1.0]\n", "must be [lo, hi]");
  expect_error("study = \"nn\"\n", "known studies: gp");
  expect_error("preset = \"huge\"\n", "preset 'huge'");
  expect_error("[run\n", "not valid TOML");
  EXPECT_THROW(amf::load_study_config("/nonexistent/amf.toml"), amf::InvalidArgument);
}

TEST(NearestName, SuggestsOnlyCloseNames) {
  EXPECT_EQ(amf::nearest_name("sedes", {"seeds", "rounds"}), "seeds");
  EXPECT_EQ(amf::nearest_name("zzzzzzzz", {"seeds", "rounds"}), "");
}

}  // namespace
