// Plots of a study results directory by tools/plot_*.py (Debian's python3 on purpose: it sees
// python3-matplotlib from tools/setup.sh). The scripts are found, in order: in $AMF_TOOLS_DIR; in
// the install tree beside the executable (<prefix>/share/amf/tools, where `install` puts them);
// in the source tree this build came from.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"

namespace amf {
namespace cli {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : self.parent_path();
}

}  // namespace

std::string find_plot_script(const std::string& script) {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("AMF_TOOLS_DIR")) dirs.emplace_back(env);
  const auto exe = executable_dir();
  if (!exe.empty()) dirs.push_back(exe / ".." / AMF_INSTALL_TOOLS_SUBDIR);
  dirs.emplace_back(AMF_SOURCE_TOOLS_DIR);
  for (const auto& d : dirs) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(d / script, ec)) return (d / script).lexically_normal().string();
  }
  return {};
}

int plot_study(const std::string& dir, const std::string& script) {
  const std::string path = find_plot_script(script);
  if (path.empty()) {
    std::cerr << "amf: plot script " << script << " not found ($AMF_TOOLS_DIR, <prefix>/" << AMF_INSTALL_TOOLS_SUBDIR
              << ", " << AMF_SOURCE_TOOLS_DIR << "); the CSV and JSON results are complete\n";
    return kExitPlot;
  }
  const std::string cmd = "/usr/bin/python3 " + shell_quote(path) + " " + shell_quote(dir);
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "amf: plotting failed (" << cmd << "); the CSV and JSON results are complete\n";
    return kExitPlot;
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace amf
