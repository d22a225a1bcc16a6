#pragma once
// JSON forms of the study configuration, shared by the summary and the checkpoints.
#include <nlohmann/json.hpp>
#include <string>

#include "amf/harness/study.hpp"

namespace amf {
namespace detail {

nlohmann::json gp_study_config_json(const GpStudyConfig& config);

// The settings every study's summary reports beside what its runs compute: how many seeds from
// which, the bootstrap and the backend.
void add_report_settings(nlohmann::json& j, int seeds, int first_seed, int bootstrap_resamples, double confidence,
                         const std::string& backend);

// The fields that decide what one (k, seed, method) run computes. Checkpoints carry it, so a
// results directory is never resumed under a different configuration.
std::string gp_run_fingerprint(const GpStudyConfig& config);

}  // namespace detail
}  // namespace amf
