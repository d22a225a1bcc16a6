#pragma once
// The AMF-GP study on the 2D integrator (paper section 5.1, Fig. 3, App. D): pre-train a GP
// policy on 12 demonstrations allocated to the first k of 12 evaluation tasks, then run rounds
// of AMF-GP and of the baselines, recording multi-task return and policy entropy per round.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "amf/harness/integrator2d.hpp"
#include "amf/harness/study_progress.hpp"
#include "amf/problem.hpp"

namespace amf {

struct GpStudyConfig {
  Integrator2DConfig env;
  int num_eval_tasks = 12;
  int pretrain_demos = 12;
  std::vector<int> k_values{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  std::vector<std::string> methods{"amf", "uniform", "rebalance"};
  int rounds = 8;
  int batch_size = 2;
  int seeds = 5;
  int first_seed = 0;  // seed indices first_seed .. first_seed + seeds - 1 (a sweep runs one each)
  std::uint64_t base_seed = 0;
  int shooting_budget = 1000;   // candidates drawn uniformly on the circle per AMF selection
  int episodes_per_task = 5;
  double expert_noise_std = 0.05;
  double exec_noise_std = 0.05;  // actuation noise when the policy is evaluated
  KernelParams kernel{0.5, 0.5, 0.1};
  double noise_variance = 0.0025;  // GP / policy-likelihood sigma^2 (= expert noise variance)
  LogProbClip clip{-10.0, 10.0};
  double min_weight = 1e-6;
  std::string interval = "t";  // confidence intervals over seeds: "t" or "bootstrap" (bootstrap.hpp)
  int bootstrap_resamples = 2000;
  double confidence = 0.90;
  int threads = 0;  // 0: one per hardware core
  std::string backend = "auto";
};

// Named presets: "default" (minutes on 2 cores) and "paper" (paper-sized; hours on 2 cores).
GpStudyConfig gp_study_preset(const std::string& name);

// Throws amf::InvalidArgument naming the field by its dotted name in a study file, its value and
// its valid range ("field 'env.horizon' = 1e+09 (must be an integer in 1..10000)"); also repeated
// k values or methods, and runs whose GP policy would grow beyond what one machine factors.
void validate(const GpStudyConfig& config);

// The valid values of every study-file field, as a Markdown table (`amf run --fields`,
// docs/configuration.md).
std::string describe_gp_study_fields();

struct RoundRecord {
  int k, seed, round, demos;
  std::string method;
  double multitask_return, entropy;
};

struct PickRecord {
  int k, seed, round;
  std::string method;
  double angle;
};

struct GpStudyResults {
  std::vector<RoundRecord> rounds;
  std::vector<PickRecord> picks;
};

// With a checkpoint directory, every (k, seed) run saves its progress there after each round
// (atomically) and resumes from it: a study killed at any point and started again with the same
// configuration finishes with the same results as an uninterrupted one. A directory holding
// checkpoints of another configuration is refused (amf::InvalidArgument), never overwritten.
GpStudyResults run_gp_study(const GpStudyConfig& config, const StudyProgressCallback& progress = {},
                            const std::string& checkpoint_dir = "");

// Writes curves.csv, picks.csv, summary_curves.csv, summary.json into out_dir (each atomically)
// and returns the printed summary table.
std::string write_gp_study_outputs(const GpStudyConfig& config, const GpStudyResults& results,
                                   const std::string& out_dir);

}  // namespace amf
