// The selection engine against the straightforward LibTorch implementation, in the same run, on
// the same (CPU) device. W-GP is DESIGN/issue sized (N 1000, R 50, T 50, K 12) on a GPU; on this
// 2-core CPU it is scaled down so one benchmark finishes in about a minute: see the arguments.
// Counters: engine_s, libtorch_s (one criterion evaluation each; for the AMF-NN rows the second
// call of each side, with the first reported as engine_cold_s, libtorch_cold_s, speedup_cold),
// speedup = libtorch / engine,
// candidates/s of the engine, pairs/candidate (trajectories kept by importance-weight pruning),
// engine_peak_MiB and libtorch_peak_MiB (process high-water mark during each call).
// Threads: both sides get AMF_BENCH_THREADS (default one per core): the engine's CPU backend and
// LibTorch's intra-op pool (at::set_num_threads; Debian's LibTorch otherwise starts with 1 on
// this VM, where cpuinfo finds no cores). OpenBLAS under LibTorch takes OPENBLAS_NUM_THREADS
// (default one per core): set it too for another count. The W-NN rows report the counts.
#include <benchmark/benchmark.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <fstream>
#include <string>
#include <thread>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"
#include "amf/torch/torch_criterion.hpp"
#include "bench_threads.hpp"
#include "nn_workload.hpp"
#include "workloads.hpp"

namespace amf_bench {

double peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// The engine's options, and LibTorch set to the same thread count.
amf::BackendOptions engine_options() {
  at::set_num_threads(bench_threads());
  amf::BackendOptions o;
  o.cpu_threads = bench_threads();
  return o;
}

}  // namespace amf_bench

namespace {

template <typename F>
double timed(F&& f, double* peak_mib) {
  amf_bench::reset_peak_rss();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *peak_mib = amf_bench::peak_rss_mib();
  return s;
}

// Args: N, R, T, K, with_libtorch (0/1).
void BM_GpCriterion(benchmark::State& state) {
  const int N = state.range(0), R = state.range(1), T = state.range(2), K = state.range(3);
  const bool with_torch = state.range(4) != 0;
  auto op = amf_bench::gp_workload(N, R, T, K);
  auto engine = amf::make_backend(amf::BackendKind::Cpu, amf_bench::engine_options());
  double engine_s = 0, torch_s = 0, engine_peak = 0, torch_peak = 0, pairs = 0;
  for (auto _ : state) {
    amf::CriterionResult r;
    engine_s = timed([&] { r = amf::evaluate_criterion(op.problem, *engine); }, &engine_peak);
    state.SetIterationTime(engine_s);
    pairs = 0;
    for (std::int64_t c = 0; c < N; ++c)
      for (std::int64_t i = 0; i < R; ++i) pairs += r.weights[c * R + i] >= op.problem.min_weight;
    if (with_torch) {
      amf::CriterionResult t;
      torch_s = timed([&] { t = amf::torch_reference_criterion(op.problem, false); }, &torch_peak);
      double worst = 0;  // agreement, reported so a fast wrong answer cannot hide
      for (int c = 0; c < N; ++c) worst = std::max(worst, std::abs(t.J[c] - r.J[c]) / std::abs(t.J[c]));
      state.counters["max_rel_diff_J"] = worst;
    }
  }
  state.counters["engine_s"] = engine_s;
  state.counters["candidates/s"] = N / engine_s;
  state.counters["pairs/candidate"] = pairs / N;
  state.counters["engine_peak_MiB"] = engine_peak;
  if (with_torch) {
    state.counters["libtorch_s"] = torch_s;
    state.counters["speedup"] = torch_s / engine_s;
    state.counters["libtorch_peak_MiB"] = torch_peak;
  }
}

// W-GP scaled for the 2-core CPU: N 200, R 50, T 20 (1000 conditioning points), K 12.
BENCHMARK(BM_GpCriterion)->Name("W-GP-cpu")->Args({200, 50, 20, 12, 1})->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
// Sweep in N (candidates), engine and LibTorch.
BENCHMARK(BM_GpCriterion)->Name("sweep-N")->ArgsProduct({{25, 50, 100, 200}, {24}, {20}, {12}, {1}})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
// Sweep in M through the number of target tasks K (M = K x kept trajectories x T).
BENCHMARK(BM_GpCriterion)->Name("sweep-M")->ArgsProduct({{100}, {24}, {20}, {3, 6, 12, 24, 48}, {1}})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
// The full W-GP size, engine only (LibTorch would take hours here): N 1000, R 50, T 50, K 12.
BENCHMARK(BM_GpCriterion)->Name("W-GP-full-engine")->Args({1000, 50, 50, 12, 0})->UseManualTime()->Iterations(1)
    ->Unit(benchmark::kSecond);

// Args: N, R, T, K, engine Gram precision (0 float64, 1 float32). The LibTorch side is float64
// either way. The float32 row also reports the error against the float64 engine, on J and on a
// greedy batch of 4 (same picks, max relative difference of the picks' J).
void BM_NnCriterion(benchmark::State& state) {
  const int N = state.range(0), R = state.range(1), T = state.range(2), K = state.range(3);
  const bool f32 = state.range(4) != 0;
  amf_bench::NnWorkload w(N, R, T, K);
  w.p.gram_precision = f32 ? amf::GramPrecision::Float32 : amf::GramPrecision::Float64;
  auto engine = amf::make_backend(amf::BackendKind::Cpu, amf_bench::engine_options());
  double engine_s = 0, torch_s = 0, engine_peak = 0, torch_peak = 0, M = 0;
  // The first call of each side is timed apart ("cold": page faults of fresh buffers, LibTorch's
  // allocator and thread pool starting); the reported times are the second calls (steady state,
  // as in a study's selection loop). Peak memory is that of the cold calls.
  const double engine_cold_s = timed([&] { amf::evaluate_criterion(w.p, *engine); }, &engine_peak);
  const double torch_cold_s = timed([&] { amf::torch_feature_criterion(w.p, false); }, &torch_peak);
  double unused_peak = 0;
  for (auto _ : state) {
    amf::CriterionResult r, t;
    engine_s = timed([&] { r = amf::evaluate_criterion(w.p, *engine); }, &unused_peak);
    state.SetIterationTime(engine_s);
    torch_s = timed([&] { t = amf::torch_feature_criterion(w.p, false); }, &unused_peak);
    double worst = 0;
    for (int c = 0; c < N; ++c) worst = std::max(worst, std::abs(t.J[c] - r.J[c]) / std::abs(t.J[c]));
    state.counters["max_rel_diff_J"] = worst;
    M = static_cast<double>(r.num_target_points);
  }
  if (f32) {
    amf::FeatureCriterionProblem batch = w.p;
    batch.batch_size = 4;
    const auto lo = amf::select_batch(batch, *engine);
    batch.gram_precision = amf::GramPrecision::Float64;
    const auto hi = amf::select_batch(batch, *engine);
    double worst_J = 0, worst_pick = 0;
    for (int c = 0; c < N; ++c) worst_J = std::max(worst_J, std::abs(lo.J[c] - hi.J[c]) / std::abs(hi.J[c]));
    for (std::size_t b = 0; b < hi.batch_J.size(); ++b)
      worst_pick = std::max(worst_pick, std::abs(lo.batch_J[b] - hi.batch_J[b]) / std::abs(hi.batch_J[b]));
    state.counters["f32_vs_f64_rel_J"] = worst_J;
    state.counters["f32_vs_f64_rel_batch_J"] = worst_pick;
    state.counters["f32_same_picks"] = lo.batch == hi.batch && lo.pseudo_demo_trajectory == hi.pseudo_demo_trajectory;
  }
  state.counters["engine_s"] = engine_s;
  state.counters["libtorch_s"] = torch_s;
  state.counters["speedup"] = torch_s / engine_s;
  state.counters["engine_cold_s"] = engine_cold_s;
  state.counters["libtorch_cold_s"] = torch_cold_s;
  state.counters["speedup_cold"] = torch_cold_s / engine_cold_s;
  state.counters["candidates/s"] = N / engine_s;
  state.counters["M"] = M;
  state.counters["engine_peak_MiB"] = engine_peak;
  state.counters["libtorch_peak_MiB"] = torch_peak;
  state.counters["engine_threads"] = amf_bench::bench_threads();
  state.counters["libtorch_threads"] = at::get_num_threads();
}
// W-NN is N 10000, R 16, T 50, M 4096 on a GPU; on the 2-core CPU: N 8 (one pair each), R 16,
// T 50, K 5 (M = 4000). W-NN-cpu is the float64 engine; W-NN-cpu-f32 the GramPrecision::Float32
// option.
BENCHMARK(BM_NnCriterion)->Name("W-NN-cpu")->Args({8, 16, 50, 5, 0})->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_NnCriterion)->Name("W-NN-cpu-f32")->Args({8, 16, 50, 5, 1})->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
// How W-NN's cost grows: in N candidates (one kept pair each) and in M = K R T target points.
BENCHMARK(BM_NnCriterion)->Name("nn-sweep-N")->ArgsProduct({{2, 4, 8, 16}, {16}, {50}, {5}, {0}})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_NnCriterion)->Name("nn-sweep-M")->ArgsProduct({{8}, {16}, {50}, {1, 2, 5, 10}, {0}})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
