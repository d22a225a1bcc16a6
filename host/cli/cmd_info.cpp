#include <iostream>

#include "amf/backend.hpp"
#include "cli/commands.hpp"

namespace amf {
namespace cli {

Command add_info(CLI::App& app) {
  app.add_subcommand("info", "Version, compiled backends and visible devices");
  return [] {
    std::cout << "amf 0.1.0\n"
              << "cuda compiled: " << (cuda_compiled() ? "yes" : "no") << "\n"
              << "cuda devices: " << cuda_device_count() << "\n"
              << "backends: cpu" << (cuda_compiled() ? ", cuda (not yet validated on a GPU: `auto` uses cpu; ask for cuda by name)" : "")
              << "\n";
    return kExitOk;
  };
}

}  // namespace cli
}  // namespace amf
