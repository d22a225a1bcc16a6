#pragma once
// The study configuration schema, shared by `amf run` (one study) and `amf sweep` (a grid of
// studies): the sweep file is a study file plus a [sweep] table, and its grid axes name study
// fields by their dotted names ("policy.noise_variance").
#include <toml++/toml.h>

#include <string>

#include "amf/harness/config.hpp"

namespace amf {
namespace detail {

// The parsed file; amf::InvalidArgument naming the file (and line:column) when it is missing or
// not TOML.
toml::table parse_toml_file(const std::string& path);

// The preset, then every field of `root`, then validation; errors name `path` and the field.
StudyRunConfig study_config_from_table(const toml::table& root, const std::string& path);

// Sets one field by its dotted name; amf::InvalidArgument for an unknown name (with the nearest
// known one) or a value of the wrong type.
void set_study_field(StudyRunConfig& cfg, const std::string& dotted, const toml::node& value,
                     const std::string& path);

}  // namespace detail
}  // namespace amf
