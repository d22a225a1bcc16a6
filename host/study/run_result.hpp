#pragma once
// The result file of one completed sweep run: its round and pick records, written atomically
// once the run is complete (its presence means "done").
#include <string>

#include "amf/harness/study.hpp"

namespace amf {
namespace detail {

void save_run_result(const std::string& path, const GpStudyResults& results);
// amf::InvalidArgument naming the file when it cannot be parsed.
GpStudyResults load_run_result(const std::string& path);

}  // namespace detail
}  // namespace amf
