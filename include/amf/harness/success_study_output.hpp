#pragma once
// The output files of a policy study measured by success rate (libamf, no LibTorch): the C++
// AMF-NN studies (amf/torch/nn_study.hpp) and the Python policy study over MuJoCo scenes
// (python/amf/policy_study.py, through the module's write_study_outputs) write the same files
// with this one writer, so their formats, bootstrap seeds and tables cannot drift apart.
#include <string>
#include <vector>

namespace amf {

struct NnRoundRecord {
  std::string pretrain, arm;
  int seed, round, demos;
  double success;                     // mean over tasks and episodes
  std::vector<double> task_success;   // per task
};

struct NnPickRecord {
  std::string pretrain, arm;
  int seed, round;
  std::string task;
};

struct NnStudyResults {
  std::vector<NnRoundRecord> rounds;
  std::vector<NnPickRecord> picks;
};

// What the writer needs to know of the study that produced the records.
struct SuccessStudyOutputSpec {
  std::string env, figure;                // the table's title
  std::vector<std::string> task_names;    // curves.csv's success_<task> columns
  std::vector<std::string> pretrain;      // table order
  std::vector<std::string> arm_labels;    // table order; paired differences against "uniform",
                                          // or against the first arm when there is no "uniform"
  int budget = 0;                         // normalises the area under the success curve
  int seeds = 0;
  std::string interval = "t";  // "t" or "bootstrap" (bootstrap.hpp)
  int bootstrap_resamples = 2000;
  double confidence = 0.90;
  std::string config_json = "{}";         // summary.json's "config", a JSON object
};

// curves.csv, picks.csv, summary_curves.csv, auc.csv, summary.json, summary.txt in out_dir,
// each written atomically; returns the printed table (final success and area under the success
// curve per arm, and the paired differences against the reference arm with their CIs).
// amf::InvalidArgument for a spec or record that cannot be written (named).
std::string write_success_study_outputs(const SuccessStudyOutputSpec& spec, const NnStudyResults& results,
                                        const std::string& out_dir);

}  // namespace amf
