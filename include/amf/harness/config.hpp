#pragma once
// Study configuration files (TOML). Every field is checked: a wrong type, a bad value or an
// unknown field raises amf::InvalidArgument naming the file, the field and the value, with the
// nearest known field suggested for a misspelling. configs/ holds documented examples.
#include <string>
#include <vector>

#include "amf/harness/study.hpp"

namespace amf {

struct StudyRunConfig {
  std::string study = "gp";  // which study of the harness (the GP study for now)
  std::string out_dir = "results/gp_study";
  GpStudyConfig gp;
};

StudyRunConfig load_study_config(const std::string& path);

// The known name closest to `name` by edit distance (empty when nothing is reasonably close).
std::string nearest_name(const std::string& name, const std::vector<std::string>& known);

}  // namespace amf
