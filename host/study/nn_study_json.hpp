#pragma once
// JSON of the NN study: the configuration (its fingerprint guards checkpoints) and the per-job
// checkpoint files, one entry per finished arm.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "amf/torch/nn_study.hpp"

namespace amf {
namespace detail {

nlohmann::json nn_study_config_json(const NnStudyConfig& config);
// Everything that changes a job's results (not seeds, threads or the report settings).
std::string nn_run_fingerprint(const NnStudyConfig& config);

nlohmann::json arm_to_json(const std::vector<NnRoundRecord>& rounds, const std::vector<NnPickRecord>& picks);
void arm_from_json(const nlohmann::json& j, std::vector<NnRoundRecord>& rounds, std::vector<NnPickRecord>& picks);

// The finished arms of a job ({} when the file does not exist); amf::InvalidArgument naming the
// file when it belongs to another configuration or cannot be parsed.
nlohmann::json load_nn_job(const std::string& path, const std::string& fingerprint);
void save_nn_job(const std::string& path, const std::string& fingerprint, const nlohmann::json& arms);

}  // namespace detail
}  // namespace amf
