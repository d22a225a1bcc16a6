#include "study/study_json.hpp"

namespace amf {
namespace detail {

nlohmann::json gp_study_config_json(const GpStudyConfig& c) {
  nlohmann::json j = nlohmann::json::parse(gp_run_fingerprint(c));
  j["k_values"] = c.k_values;
  j["methods"] = c.methods;
  add_report_settings(j, c.seeds, c.first_seed, c.bootstrap_resamples, c.confidence, c.backend);
  j["interval"] = c.interval;
  return j;
}

void add_report_settings(nlohmann::json& j, int seeds, int first_seed, int bootstrap_resamples, double confidence,
                         const std::string& backend) {
  j["seeds"] = seeds;
  j["first_seed"] = first_seed;
  j["bootstrap_resamples"] = bootstrap_resamples;
  j["confidence"] = confidence;
  j["backend"] = backend;
}

std::string gp_run_fingerprint(const GpStudyConfig& c) {
  const nlohmann::json j = {
      {"num_eval_tasks", c.num_eval_tasks}, {"pretrain_demos", c.pretrain_demos},
      {"rounds", c.rounds}, {"batch_size", c.batch_size}, {"base_seed", c.base_seed},
      {"shooting_budget", c.shooting_budget}, {"episodes_per_task", c.episodes_per_task},
      {"expert_noise_std", c.expert_noise_std}, {"exec_noise_std", c.exec_noise_std},
      {"horizon", c.env.horizon}, {"radius", c.env.radius}, {"max_speed", c.env.max_speed},
      {"expert_gain", c.env.expert_gain}, {"state_lengthscale", c.kernel.state_lengthscale},
      {"task_lengthscale", c.kernel.task_lengthscale}, {"signal_variance", c.kernel.signal_variance},
      {"noise_variance", c.noise_variance}, {"clip", {c.clip.lo, c.clip.hi}},
      {"min_weight", c.min_weight}};
  return j.dump();
}

}  // namespace detail
}  // namespace amf
