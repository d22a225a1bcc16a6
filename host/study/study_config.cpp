#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>
#include <string>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/harness/bootstrap.hpp"
#include "amf/harness/study.hpp"
#include "study/field_range.hpp"

namespace amf {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument("gp study config: " + msg); }

void require(bool ok, const std::string& field, const std::string& value, const std::string& rule) {
  if (!ok) fail("field '" + field + "' = " + value + " (" + rule + ")");
}

std::string str(double v) { return detail::format_general(v, 17); }

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

namespace {

// One numeric field of the study file: its dotted name, range and meaning, and its value(s) in a
// configuration (k_values has several). This table is the documentation (`amf run --fields`) and
// the check, so the two cannot drift apart.
struct GpFieldRule {
  const char* name;
  detail::FieldRange range;
  const char* meaning;
  std::function<std::vector<double>(const GpStudyConfig&)> values;
};

template <typename T>
std::function<std::vector<double>(const GpStudyConfig&)> one(T GpStudyConfig::*m) {
  return [m](const GpStudyConfig& c) { return std::vector<double>{static_cast<double>(c.*m)}; };
}
std::function<std::vector<double>(const GpStudyConfig&)> env(double Integrator2DConfig::*m) {
  return [m](const GpStudyConfig& c) { return std::vector<double>{c.env.*m}; };
}
std::function<std::vector<double>(const GpStudyConfig&)> kernel(double KernelParams::*m) {
  return [m](const GpStudyConfig& c) { return std::vector<double>{c.kernel.*m}; };
}

using detail::FieldRange;

const std::vector<GpFieldRule>& gp_field_rules() {
  static const std::vector<GpFieldRule> rules{
      {"run.seeds", FieldRange::integers(1, 10000), "seeds per (k, method)", one(&GpStudyConfig::seeds)},
      {"run.first_seed", FieldRange::integers(0, 1000000), "first seed index", one(&GpStudyConfig::first_seed)},
      {"run.rounds", FieldRange::integers(0, 1000), "rounds of data collection", one(&GpStudyConfig::rounds)},
      {"run.batch_size", FieldRange::integers(1, 1000), "demonstrations per round", one(&GpStudyConfig::batch_size)},
      {"run.threads", FieldRange::integers(0, 4096), "worker threads (0: one per core)", one(&GpStudyConfig::threads)},
      {"run.k_values", FieldRange::integers(1, 10000), "pre-training task counts; each at most env.num_eval_tasks, no repeats",
       [](const GpStudyConfig& c) { return std::vector<double>(c.k_values.begin(), c.k_values.end()); }},
      {"selection.shooting_budget", FieldRange::integers(1, 1000000), "random-shooting candidates per AMF selection",
       one(&GpStudyConfig::shooting_budget)},
      {"selection.min_weight", FieldRange::closed_open(0, 1), "importance weights below this are dropped",
       one(&GpStudyConfig::min_weight)},
      {"selection.clip", FieldRange::closed(-1e6, 1e6), "[lo, hi] of each per-step log-probability, lo < hi",
       [](const GpStudyConfig& c) { return std::vector<double>{c.clip.lo, c.clip.hi}; }},
      {"policy.state_lengthscale", FieldRange::open_closed(0, 1e6), "GP RBF length-scale on states",
       kernel(&KernelParams::state_lengthscale)},
      {"policy.task_lengthscale", FieldRange::open_closed(0, 1e6), "GP RBF length-scale on tasks",
       kernel(&KernelParams::task_lengthscale)},
      {"policy.signal_variance", FieldRange::open_closed(0, 1e6), "GP signal variance",
       kernel(&KernelParams::signal_variance)},
      {"policy.noise_variance", FieldRange::closed(1e-12, 1e6),
       "sigma^2 of the policy likelihood; at least 1e-10 x signal_variance", one(&GpStudyConfig::noise_variance)},
      {"env.horizon", FieldRange::integers(1, 10000), "steps per episode", [](const GpStudyConfig& c) {
         return std::vector<double>{static_cast<double>(c.env.horizon)};
       }},
      {"env.radius", FieldRange::open_closed(0, 1e6), "radius of the goal circle", env(&Integrator2DConfig::radius)},
      {"env.max_speed", FieldRange::open_closed(0, 1e6), "largest step per action", env(&Integrator2DConfig::max_speed)},
      {"env.expert_gain", FieldRange::open(0, 2), "expert: a = gain (goal - s); the expert converges for 0 < gain < 2",
       env(&Integrator2DConfig::expert_gain)},
      {"env.expert_noise_std", FieldRange::closed(0, 1e3), "std of the expert's action noise",
       one(&GpStudyConfig::expert_noise_std)},
      {"env.exec_noise_std", FieldRange::closed(0, 1e3), "actuation noise std when the policy is evaluated",
       one(&GpStudyConfig::exec_noise_std)},
      {"env.num_eval_tasks", FieldRange::integers(1, 10000), "evenly spaced evaluation (target) tasks",
       one(&GpStudyConfig::num_eval_tasks)},
      {"env.pretrain_demos", FieldRange::integers(1, 100000), "pre-training demonstrations, round-robin over k tasks",
       one(&GpStudyConfig::pretrain_demos)},
      {"env.episodes_per_task", FieldRange::integers(1, 10000), "evaluation episodes per task and round",
       one(&GpStudyConfig::episodes_per_task)},
      {"report.bootstrap_resamples", FieldRange::integers(1, 1000000), "bootstrap resamples of the confidence intervals",
       one(&GpStudyConfig::bootstrap_resamples)},
      {"report.confidence", FieldRange::open(0, 1), "confidence level of the intervals", one(&GpStudyConfig::confidence)},
  };
  return rules;
}

// The GP policy of one run holds every demonstrated step: its Gram and Cholesky factor are
// n x n doubles, factored again every round. Beyond this the runs take hours and gigabytes.
constexpr double kMaxPoolSteps = 20000;

template <typename T>
bool has_repeats(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) != v.end();
}

}  // namespace

std::string describe_gp_study_fields() {
  std::string out = "| field | valid values | meaning |\n|---|---|---|\n";
  for (const auto& r : gp_field_rules()) out += std::string("| `") + r.name + "` | " + r.range.describe() + " | " + r.meaning + " |\n";
  out += "| `run.base_seed` | an integer in 0..9223372036854775807 | mixed into every random stream |\n";
  out += "| `run.methods` | amf, uniform, rebalance; no repeats | the methods compared |\n";
  out += "| `run.backend` | auto, cpu, cuda | criterion backend |\n";
  out += "| `report.interval` | t, bootstrap | confidence intervals over seeds: Student-t (default) or percentile bootstrap |\n";
  out += "| (whole run) | (env.pretrain_demos + run.rounds x run.batch_size) x env.horizon <= " +
         detail::format_general(kMaxPoolSteps) + " | demonstrated steps in one run's GP policy |\n";
  return out;
}

void validate(const GpStudyConfig& c) {
  const std::string who = "gp study config";
  for (const auto& r : gp_field_rules())
    for (double v : r.values(c)) detail::check_field(who, r.name, v, r.range);
  if (c.k_values.empty()) fail("field 'run.k_values' is empty");
  if (has_repeats(c.k_values)) fail("field 'run.k_values' repeats a value (each k is run once)");
  for (int k : c.k_values)
    require(k <= c.num_eval_tasks, "run.k_values", std::to_string(k),
            "each k must be at most env.num_eval_tasks = " + std::to_string(c.num_eval_tasks));
  if (c.methods.empty()) fail("field 'run.methods' is empty");
  for (const auto& m : c.methods)
    if (m != "amf" && m != "uniform" && m != "rebalance")
      fail("field 'run.methods': '" + m + "' is unknown (choose amf, uniform or rebalance)");
  if (has_repeats(c.methods)) fail("field 'run.methods' repeats a method (each method is run once)");
  require(c.clip.lo < c.clip.hi, "selection.clip", "[" + str(c.clip.lo) + ", " + str(c.clip.hi) + "]", "need lo < hi");
  require(c.noise_variance >= 1e-10 * c.kernel.signal_variance, "policy.noise_variance", str(c.noise_variance),
          "must be at least 1e-10 x policy.signal_variance, or the GP's Gram is singular in float64");
  const double pool_steps =
      (static_cast<double>(c.pretrain_demos) + static_cast<double>(c.rounds) * c.batch_size) * c.env.horizon;
  if (pool_steps > kMaxPoolSteps)
    fail("a run's GP policy would hold (env.pretrain_demos + run.rounds x run.batch_size) x env.horizon = " +
         detail::format_general(pool_steps, 12) + " steps, more than " + detail::format_general(kMaxPoolSteps) +
         " (its Gram alone would need " + detail::format_general(pool_steps * pool_steps * 8 / 1e9, 3) +
         " GB, factored every round)");
  parse_backend_kind(c.backend);
  try {
    parse_interval_kind(c.interval);
  } catch (const InvalidArgument& e) {
    fail("field 'report.interval': " + std::string(e.what()));
  }
}

}  // namespace amf
