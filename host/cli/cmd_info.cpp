#include <cstdlib>
#include <iostream>

#include "amf/backend.hpp"
#include "amf/launch.hpp"
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
    // Where a cluster job's rank runs: the launcher amf detected, and the device list the CUDA
    // runtime will enumerate (Slurm sets it per task with --gpus-per-task; with one visible
    // device every rank uses device 0, otherwise make_rank_backend takes node-local rank modulo
    // the count).
    const LaunchInfo launch = detect_launch();
    std::cout << "launch: ";
    if (launch.parallel)
      std::cout << (launch.launcher.empty() ? "parallel" : launch.launcher) << " rank " << launch.rank << " of "
                << (launch.size > 0 ? std::to_string(launch.size) : std::string("?")) << "\n";
    else
      std::cout << "single process\n";
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    std::cout << "CUDA_VISIBLE_DEVICES: " << (visible ? visible : "(unset: every device)") << "\n";
    return kExitOk;
  };
}

}  // namespace cli
}  // namespace amf
