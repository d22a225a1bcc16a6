// The performance model of the fused criterion kernel (docs/performance_model.md): from the
// kernel's resource use as the machine-code check reads it (registers per thread, static shared
// memory per block; tests/sass_check.cmake passes them) and the tile sizes and shared-memory
// layout compiled into the kernel (kernels/fused_tiling.cuh), it derives blocks per SM and, for
// W-NN and W-GP, the bytes and flops per pair and each resource's lower bound on the time of an
// H100 SXM and an H200. Prints markdown. Predictions only: nothing here has run on a device.
//
//   fused_kernel_model REGISTERS STATIC_SHARED_BYTES
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fused_tiling.cuh"

namespace {

namespace k = amf::kernels;

struct Device {
  const char* name;
  int sms;
  double hbm_bytes_per_s, tensor_flops, cuda_core_flops, clock_hz;
};

// Datasheet numbers (SXM parts); FP64 CUDA-core rate half the tensor-core rate.
const Device kDevices[] = {{"H100 SXM", 132, 3.35e12, 67e12, 34e12, 1.98e9}, {"H200", 132, 4.8e12, 67e12, 34e12, 1.98e9}};
// Per SM on sm_90: shared memory (KiB, of which 1 KiB per block is reserved by the system),
// registers, threads; shared-memory bandwidth 128 bytes per clock (32 four-byte banks).
constexpr int kSmSharedKib = 228, kSmRegisters = 65536, kSmThreads = 2048, kSharedBytesPerClock = 128;
// L2-to-SM bandwidth: NVIDIA publishes none. Assumed 2x the H100's HBM rate for both parts (the
// same L2); the first device run replaces it with a measurement.
constexpr double kL2BytesPerS = 6.7e12;

struct Workload {
  const char* name;
  std::int64_t P;  // pairs
  int T;
  std::int64_t M;
  std::vector<int> widths;  // every factor's width (a LinearLayer term has two)
  int rbf_dim;              // 0: no RBF term
  const char* note;
};

int blocks_per_sm(int registers, std::int64_t shared_bytes) {
  const int by_registers = kSmRegisters / (registers * k::kFusedThreads);
  const int by_shared = static_cast<int>(kSmSharedKib * 1024 / (shared_bytes + 1024));
  return std::min({by_registers, by_shared, kSmThreads / k::kFusedThreads});
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

void model(const Workload& w, int registers, int static_shared) {
  const int ppb = k::fused_pairs_per_block(w.T);
  const std::int64_t shared = k::fused_shared_doubles(w.T) * 8 + static_shared;
  const int bps = blocks_per_sm(registers, shared);
  std::int64_t W = 0, chunks = 0;
  for (const int width : w.widths) {
    W += width;
    chunks += std::max<std::int64_t>(1, ceil_div(width, k::kDepthChunk));
  }
  const std::int64_t tiles = ceil_div(w.M, k::kTargetTile);
  // Per pair. Tensor cores: every chunk is multiplied in full (64 rows, 64 targets, 16 deep).
  const double useful = 2.0 * w.T * w.M * W;
  const double executed = 2.0 * k::kFusedRows * k::kTargetTile * k::kDepthChunk * double(tiles) * chunks / ppb;
  const double cuda_core = double(w.T) * w.T * w.M + w.T * w.T * w.T / 3.0 + (w.rbf_dim ? (3.0 * w.rbf_dim + 20) * w.T * w.M : 0);
  std::printf("### %s\n\n%s\n\n", w.name, w.note);
  std::printf("P %lld pairs, T %d, M %lld, factor widths summing to %lld (%lld chunks of %d per target tile), "
              "%s; %d pair(s) per block, %lld target tiles of %d.\n\n",
              (long long)w.P, w.T, (long long)w.M, (long long)W, (long long)chunks, k::kDepthChunk,
              w.rbf_dim ? "an RBF term" : "no RBF term", ppb, (long long)tiles, k::kTargetTile);
  std::printf("Shared memory per block: %lld bytes (%.1f KiB, dynamic %lld + static %d) -> %d blocks per SM "
              "(registers %d/thread allow %d; shared memory allows %d).\n\n",
              (long long)shared, shared / 1024.0, (long long)(shared - static_shared), static_shared, bps, registers,
              kSmRegisters / (registers * k::kFusedThreads), static_cast<int>(kSmSharedKib * 1024 / (shared + 1024)));
  std::printf("| per pair | amount |\n|---|---|\n");
  std::printf("| tensor-core flops, useful (2 T M W) | %.3g |\n| tensor-core flops, executed (64-row blocks, 64-target "
              "tiles, 16-deep chunks) | %.3g |\n| CUDA-core flops (solve T^2 M, Cholesky T^3/3, RBF) | %.3g |\n",
              useful, executed, cuda_core);
  for (const Device& d : kDevices) {
    const std::int64_t resident_blocks = std::int64_t(bps) * d.sms;
    const std::int64_t blocks = ceil_div(w.P, ppb);
    const std::int64_t waves = ceil_div(blocks, resident_blocks);
    // Candidate rows from HBM once per target tile; the targets from HBM once per wave of resident
    // blocks (they walk the tiles in step, so L2 serves the rest); G once.
    const double hbm = 8.0 * w.T * W * tiles + 8.0 * w.M * W / double(resident_blocks * ppb) + 8.0 * w.T * w.T;
    const double l2 = 8.0 * (w.T + double(k::kTargetTile) / ppb) * W * tiles;
    const double smem = double(tiles) * chunks / ppb *
                        ((k::kFusedRows + k::kTargetTile) * k::kDepthChunk * 8.0 +
                         k::kFusedWarps * (k::kWarpRows + k::kWarpCols) * k::kDepthChunk * 8.0);
    const double pair_slots = double(waves) * resident_blocks * ppb;  // whole waves: the last one costs a full wave
    struct Bound {
      const char* what;
      double seconds;
    } bounds[] = {{"HBM", pair_slots * hbm / d.hbm_bytes_per_s},
                  {"L2", pair_slots * l2 / kL2BytesPerS},
                  {"FP64 tensor cores", pair_slots * executed / d.tensor_flops},
                  {"shared memory", pair_slots * smem / (double(d.sms) * kSharedBytesPerClock * d.clock_hz)},
                  {"FP64 CUDA cores", pair_slots * cuda_core / d.cuda_core_flops}};
    const Bound* worst = &bounds[0];
    for (const Bound& b : bounds) worst = b.seconds > worst->seconds ? &b : worst;
    std::printf("| %s: HBM bytes | %.3g |\n| %s: L2-to-SM bytes | %.3g |\n| %s: shared-memory bytes | %.3g |\n", d.name,
                hbm, d.name, l2, d.name, smem);
    std::printf("\n%s: %lld resident blocks, %lld waves. Lower bounds, s: ", d.name, (long long)resident_blocks,
                (long long)waves);
    for (const Bound& b : bounds) std::printf("%s %.3g; ", b.what, b.seconds);
    std::printf("\n**Predicted kernel time on the %s: %.3g s, %s-bound** (%.0f%% of the FP64 tensor-core peak on the "
                "useful flops).\n\n",
                d.name, worst->seconds, worst->what, 100.0 * w.P * useful / worst->seconds / d.tensor_flops);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s REGISTERS STATIC_SHARED_BYTES\n", argv[0]);
    return 2;
  }
  const int registers = std::atoi(argv[1]), static_shared = std::atoi(argv[2]);
  if (registers < 1 || registers > 255 || static_shared < 0) {
    std::fprintf(stderr, "fused_kernel_model: implausible resource use (%s registers, %s bytes)\n", argv[1], argv[2]);
    return 2;
  }
  std::printf("## Fused kernel performance model (predictions, not measurements)\n\n");
  std::printf("Resource use read from the sm_90 machine code: %d registers/thread, %d bytes static shared memory; "
              "%d threads per block. Blocks per SM at T = 50: %d, at T = 64: %d.\n\n",
              registers, static_shared, k::kFusedThreads,
              blocks_per_sm(registers, k::fused_shared_doubles(50) * 8 + static_shared),
              blocks_per_sm(registers, k::fused_shared_doubles(64) * 8 + static_shared));
  // W-NN: MLP 4 x 256 with LayerNorm, input 10, action 4 (bench/nn_workload.hpp): Linear layers as
  // (signals, inputs) factor pairs, LayerNorm layers as two products of 256; first pass (no picks).
  std::vector<int> nn{256, 10};
  for (int l = 0; l < 3; ++l) nn.insert(nn.end(), {256, 256});
  nn.insert(nn.end(), {4, 256});
  for (int l = 0; l < 8; ++l) nn.push_back(256);
  model({"W-NN (N 10000, R 16, T 50, M 4096, MLP 4 x 256)", 10000, 50, 4096, nn, 0,
         "One kept trajectory per candidate (the workload's relabelling favours one), so P = N; the first pass, "
         "before any pick adds a conditioning term. gpu_bench runs K 5, M 4000: 63 target tiles instead of 64."},
        registers, static_shared);
  // W-GP: the conditioning term is one product of width n = R T = 2500 plus the RBF on (2 + 1) dims.
  model({"W-GP (N 1000, R 50, T 50, K 12)", 50000, 50, 30000, {2500}, 3,
         "Upper bounds: every (candidate, trajectory) pair kept (P = N R) and every target-occupancy point "
         "(M = K R T); the importance weights prune both in a real run, and the time scales with P M."},
        registers, static_shared);
  return 0;
}
