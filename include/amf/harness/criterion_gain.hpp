#pragma once
// Does the criterion predict what a demonstration is worth? (paper appendix H, Fig. 15.) On the
// 2D integrator, after skewed pre-training on k tasks: score candidate goals all around the
// circle with AMF-GP (J and the information gain about the target tasks), then demonstrate each
// one for real, refit the GP policy and measure the realised gain in multi-task return (same
// evaluation episodes before and after, so the comparison is paired). The criterion is useful
// where the realised gain rises with the information gain; the rank correlation per seed says
// how much.
#include <string>
#include <vector>

#include "amf/harness/study.hpp"

namespace amf {

struct CriterionGainConfig {
  GpStudyConfig study = gp_study_preset("default");  // env, expert, GP, evaluation and interval settings
  int k = 3;            // pre-training goes round-robin to the first k evaluation tasks
  int candidates = 36;  // goals evenly spaced on the circle
  int seeds = 4;
  int threads = 0;      // candidates at a time (0: one per core)
};

struct CriterionGainRecord {
  int seed;
  double angle;  // radians
  double J, info_gain;
  double return_before, return_after;  // multi-task return without and with the candidate's demonstration
};

// amf::InvalidArgument naming the field (ranges as in docs/configuration.md for the study part).
void validate(const CriterionGainConfig& config);

std::vector<CriterionGainRecord> run_criterion_gain(const CriterionGainConfig& config);

// Spearman's rank correlation (average ranks for ties); 0 when either side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// gain.csv (every candidate of every seed), summary.json and summary.txt (per seed, the rank
// correlation of the information gain and of -J with the realised gain; their mean with its CI
// over seeds), each written atomically. Returns the printed table.
std::string write_criterion_gain_outputs(const CriterionGainConfig& config,
                                         const std::vector<CriterionGainRecord>& records, const std::string& out_dir);

}  // namespace amf
