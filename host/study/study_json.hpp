#pragma once
// JSON forms of the study configuration, shared by the summary and the checkpoints.
#include <nlohmann/json.hpp>
#include <string>

#include "amf/study.hpp"

namespace amf {
namespace detail {

nlohmann::json gp_study_config_json(const GpStudyConfig& config);

// The fields that decide what one (k, seed, method) run computes. Checkpoints carry it, so a
// results directory is never resumed under a different configuration.
std::string gp_run_fingerprint(const GpStudyConfig& config);

}  // namespace detail
}  // namespace amf
