#include <algorithm>
#include <cmath>
#include <string>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/harness/study.hpp"

namespace amf {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument("gp study config: " + msg); }

void require(bool ok, const std::string& field, const std::string& value, const std::string& rule) {
  if (!ok) fail(field + " = " + value + " (" + rule + ")");
}

std::string str(double v) {
  std::string s = std::to_string(v);
  return s;
}

}  // namespace

GpStudyConfig gp_study_preset(const std::string& name) {
  GpStudyConfig c;
  if (name == "default") {
    // Minutes on 2 cores, still showing the effect: fewer seeds and rounds, a 1D task space
    // shot densely enough by 128 candidates (one every 2.8 degrees).
    c.seeds = 4;
    c.rounds = 6;
    c.batch_size = 2;
    c.shooting_budget = 128;
    c.episodes_per_task = 3;
    return c;
  }
  if (name == "paper") {
    // The paper's exact values were lost in the text conversion; these are the sizes we use for
    // a paper-scale run (hours on 2 cores).
    c.seeds = 20;
    c.rounds = 20;
    c.batch_size = 1;
    c.shooting_budget = 1000;
    c.episodes_per_task = 10;
    return c;
  }
  fail("preset '" + name + "' is unknown (choose default or paper)");
}

void validate(const GpStudyConfig& c) {
  require(c.num_eval_tasks >= 1, "num_eval_tasks", std::to_string(c.num_eval_tasks), "must be >= 1");
  require(c.pretrain_demos >= 1, "pretrain_demos", std::to_string(c.pretrain_demos), "must be >= 1");
  if (c.k_values.empty()) fail("k_values is empty");
  for (int k : c.k_values)
    require(k >= 1 && k <= c.num_eval_tasks, "k", std::to_string(k),
            "must be in 1.." + std::to_string(c.num_eval_tasks));
  if (c.methods.empty()) fail("methods is empty");
  for (const auto& m : c.methods)
    if (m != "amf" && m != "uniform" && m != "rebalance")
      fail("method '" + m + "' is unknown (choose amf, uniform or rebalance)");
  require(c.rounds >= 0, "rounds", std::to_string(c.rounds), "must be >= 0");
  require(c.batch_size >= 1, "batch_size", std::to_string(c.batch_size), "must be >= 1");
  require(c.seeds >= 1, "seeds", std::to_string(c.seeds), "must be >= 1");
  require(c.first_seed >= 0, "first_seed", std::to_string(c.first_seed), "must be >= 0");
  require(c.shooting_budget >= 1, "shooting_budget", std::to_string(c.shooting_budget), "must be >= 1");
  require(c.episodes_per_task >= 1, "episodes_per_task", std::to_string(c.episodes_per_task), "must be >= 1");
  require(c.env.horizon >= 1, "horizon", std::to_string(c.env.horizon), "must be >= 1");
  require(c.env.radius > 0, "radius", str(c.env.radius), "must be > 0");
  require(c.env.max_speed > 0, "max_speed", str(c.env.max_speed), "must be > 0");
  require(std::isfinite(c.expert_noise_std) && c.expert_noise_std >= 0, "expert_noise_std",
          str(c.expert_noise_std), "must be >= 0");
  require(std::isfinite(c.exec_noise_std) && c.exec_noise_std >= 0, "exec_noise_std",
          str(c.exec_noise_std), "must be >= 0");
  require(c.kernel.state_lengthscale > 0, "state_lengthscale", str(c.kernel.state_lengthscale), "must be > 0");
  require(c.kernel.task_lengthscale > 0, "task_lengthscale", str(c.kernel.task_lengthscale), "must be > 0");
  require(c.kernel.signal_variance > 0, "signal_variance", str(c.kernel.signal_variance), "must be > 0");
  require(c.noise_variance > 0, "noise_variance", str(c.noise_variance), "must be > 0");
  require(c.clip.lo < c.clip.hi, "clip", "[" + str(c.clip.lo) + ", " + str(c.clip.hi) + "]", "need lo < hi");
  require(c.bootstrap_resamples >= 1, "bootstrap_resamples", std::to_string(c.bootstrap_resamples), "must be >= 1");
  require(c.confidence > 0 && c.confidence < 1, "confidence", str(c.confidence), "must be in (0, 1)");
  require(c.threads >= 0, "threads", std::to_string(c.threads), "must be >= 0");
  parse_backend_kind(c.backend);
}

}  // namespace amf
