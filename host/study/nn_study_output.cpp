// The AMF-NN study's outputs: the shared success-study writer (amf/harness/success_study_output.hpp)
// with the study's task names and configuration.
#include "amf/harness/environments.hpp"
#include "amf/torch/nn_study.hpp"
#include "study/nn_study_json.hpp"

namespace amf {

std::string write_nn_study_outputs(const NnStudyConfig& cfg, const NnStudyResults& res, const std::string& dir) {
  SuccessStudyOutputSpec spec;
  spec.env = cfg.env;
  spec.figure = cfg.figure;
  spec.task_names = make_environment(cfg.env)->task_names();
  spec.pretrain = cfg.pretrain;
  for (const auto& arm : cfg.arms) spec.arm_labels.push_back(arm.label);
  spec.budget = cfg.budget;
  spec.seeds = cfg.seeds;
  spec.bootstrap_resamples = cfg.bootstrap_resamples;
  spec.interval = cfg.interval;
  spec.confidence = cfg.confidence;
  spec.config_json = detail::nn_study_config_json(cfg).dump();
  return write_success_study_outputs(spec, res, dir);
}

}  // namespace amf
