#include "study/nn_study_json.hpp"

#include <filesystem>
#include <fstream>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "study/study_json.hpp"

namespace amf {
namespace detail {
namespace {

nlohmann::json arm_json(const NnArm& a) {
  return {{"label", a.label},
          {"selector", a.selector},
          {"embedding", a.embedding == GradientEmbedding::Full ? "full" : "last-layer"},
          {"noise_variance", a.noise_variance},
          {"relative_noise", a.relative_noise},
          {"forgetting", to_string(a.forgetting)},
          {"forgetting_lambda", a.forgetting_lambda},
          {"batch_size", a.batch_size}};
}

nlohmann::json run_json(const NnStudyConfig& c) {
  nlohmann::json arms = nlohmann::json::array();
  for (const auto& a : c.arms) arms.push_back(arm_json(a));
  const auto& p = c.policy;
  const auto& f = c.finetune;
  nlohmann::json j = {{"env", c.env},
          {"pretrain_demos", c.pretrain_demos},
          {"warm_start_demos", c.warm_start_demos},
          {"budget", c.budget},
          {"batch_size", c.batch_size},
          {"arms", arms},
          {"base_seed", c.base_seed},
          {"eval_episodes", c.eval_episodes},
          {"demo_noise", c.demo_noise},
          {"policy", {{"depth", p.depth}, {"width", p.width}, {"layer_norm", p.layer_norm}}},
          {"finetune",
           {{"learning_rate", f.learning_rate}, {"batch_size", f.batch_size}, {"epochs", f.epochs},
            {"steps_per_round", f.steps_per_round}, {"weight_decay", f.weight_decay}, {"device", f.device}}},
          {"sigma_pi", c.sigma_pi},
          {"clip", {c.clip.lo, c.clip.hi}},
          {"min_weight", c.min_weight},
          {"selection_stride", c.selection_stride},
          {"dropout", c.dropout},
          {"dropout_passes", c.dropout_passes}};
  // Only when set, so checkpoints of studies that never set it keep their fingerprint.
  if (c.steps_per_demonstration) j["steps_per_demonstration"] = true;
  return j;
}

}  // namespace

nlohmann::json nn_study_config_json(const NnStudyConfig& c) {
  nlohmann::json j = run_json(c);
  j["figure"] = c.figure;
  j["pretrain"] = c.pretrain;
  add_report_settings(j, c.seeds, c.first_seed, c.bootstrap_resamples, c.confidence, c.backend);
  j["interval"] = c.interval;
  return j;
}

std::string nn_run_fingerprint(const NnStudyConfig& c) { return run_json(c).dump(); }

nlohmann::json arm_to_json(const std::vector<NnRoundRecord>& rounds, const std::vector<NnPickRecord>& picks) {
  nlohmann::json j;
  j["rounds"] = nlohmann::json::array();
  for (const auto& r : rounds)
    j["rounds"].push_back({r.pretrain, r.arm, r.seed, r.round, r.demos, r.success, r.task_success});
  j["picks"] = nlohmann::json::array();
  for (const auto& p : picks) j["picks"].push_back({p.pretrain, p.arm, p.seed, p.round, p.task});
  return j;
}

void arm_from_json(const nlohmann::json& j, std::vector<NnRoundRecord>& rounds, std::vector<NnPickRecord>& picks) {
  for (const auto& r : j.at("rounds"))
    rounds.push_back({r.at(0).get<std::string>(), r.at(1).get<std::string>(), r.at(2).get<int>(), r.at(3).get<int>(),
                      r.at(4).get<int>(), r.at(5).get<double>(), r.at(6).get<std::vector<double>>()});
  for (const auto& p : j.at("picks"))
    picks.push_back({p.at(0).get<std::string>(), p.at(1).get<std::string>(), p.at(2).get<int>(), p.at(3).get<int>(),
                     p.at(4).get<std::string>()});
}

nlohmann::json load_nn_job(const std::string& path, const std::string& fingerprint) {
  if (!std::filesystem::exists(path)) return nlohmann::json::object();
  try {
    std::ifstream in(path);
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.at("fingerprint").get<std::string>() != fingerprint)
      throw InvalidArgument("checkpoint '" + path +
                            "' was written by a study with a different configuration; resume with the same "
                            "configuration or write to another results directory");
    const nlohmann::json arms = j.at("arms");
    for (const auto& [label, arm] : arms.items()) {  // parse now, so a damaged file is named here
      std::vector<NnRoundRecord> r;
      std::vector<NnPickRecord> p;
      arm_from_json(arm, r, p);
    }
    return arms;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("checkpoint '" + path + "' is unreadable (" + e.what() + "); move it away to recompute that job");
  }
}

void save_nn_job(const std::string& path, const std::string& fingerprint, const nlohmann::json& arms) {
  write_file_atomic(path, nlohmann::json{{"fingerprint", fingerprint}, {"arms", arms}}.dump());
}

}  // namespace detail
}  // namespace amf
