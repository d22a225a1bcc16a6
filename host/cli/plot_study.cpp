// Plots of a study results directory by tools/plot_gp_study.py (Debian's python3 on purpose: it
// sees python3-matplotlib from tools/setup.sh).
#include <cstdlib>
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

}  // namespace

int plot_study(const std::string& dir, const std::string& script) {
  const std::string cmd = "/usr/bin/python3 " + shell_quote(std::string(AMF_TOOLS_DIR) + "/" + script) +
                          " " + shell_quote(dir);
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "amf: plotting failed (" << cmd << "); the CSV and JSON results are complete\n";
    return kExitPlot;
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace amf
