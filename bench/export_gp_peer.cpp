// Writes an AMF-GP workload's posterior-variance problem for the GPyTorch peer
// (bench/gpytorch_peer.py), with the CPU engine's J and timing:
//   export_gp_peer OUT_DIR [N R T K]   (default: W-GP-scaled, 200 50 20 12)
// The GPU check exports W-GP from gpu_bench instead; this tool lets CI and the CPU check the peer.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "amf/error.hpp"
#include "gp_peer_export.hpp"
#include "workloads.hpp"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 6) {
    std::fprintf(stderr, "usage: %s OUT_DIR [N R T K]\n", argv[0]);
    return 2;
  }
  try {
    int size[4] = {200, 50, 20, 12};
    for (int k = 0; k < 4 && argc == 6; ++k) size[k] = std::stoi(argv[2 + k]);
    auto op = amf_bench::gp_workload(size[0], size[1], size[2], size[3]);
    auto cpu = amf::make_backend(amf::BackendKind::Cpu);
    const auto t0 = std::chrono::steady_clock::now();
    const amf::CriterionResult r = amf::evaluate_criterion(op.problem, *cpu);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::filesystem::create_directories(argv[1]);
    amf_bench::export_gp_peer_problem(op.problem, argv[1], 3, "amf-cpu", seconds,
                                      amf_bench::kept_pairs(r, size[1], op.problem.min_weight));
    std::printf("exported N %d R %d T %d K %d to %s (engine %.3f s)\n", size[0], size[1], size[2], size[3], argv[1],
                seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "export_gp_peer: %s\n", e.what());
    return 1;
  }
  return 0;
}
