#include <iostream>

#include "amf/backend.hpp"
#include "amf/version.hpp"
#include "cli/commands.hpp"
#ifdef AMF_CLI_TORCH
#include <torch/version.h>
#endif
#ifdef AMF_CLI_MPI
#include <mpi.h>
#endif

namespace amf {
namespace cli {

Command add_info(CLI::App& app) {
  app.add_subcommand("info", "Version, compiled backends and visible devices");
  return [] {
    std::cout << "amf " << version() << "\n"
              << "cuda compiled: " << (cuda_compiled() ? "yes" : "no") << "\n"
              << "cuda devices: " << cuda_device_count() << "\n"
              << "cuda runtime: " << (cuda_runtime_version().empty() ? "none" : cuda_runtime_version()) << "\n"
#ifdef AMF_CLI_TORCH
              << "libtorch: " << TORCH_VERSION << " (amf_torch: MLP and TorchScript policies)\n"
#else
              << "libtorch: not built\n"
#endif
#ifdef AMF_CLI_MPI
              << "mpi: MPI " << MPI_VERSION << "." << MPI_SUBVERSION << " (sharded amf select under mpirun)\n"
#else
              << "mpi: not built\n"
#endif
              << "backends: cpu" << (cuda_compiled() ? ", cuda (not yet validated on a GPU: `auto` uses cpu; ask for cuda by name)" : "")
              << "\n";
    return kExitOk;
  };
}

}  // namespace cli
}  // namespace amf
