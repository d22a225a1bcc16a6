// Criterion evaluation on a study-like GP workload: the CPU backend, and (when built) the
// straightforward LibTorch implementation on the same inputs, in the same run. Arguments:
// candidates N, pool trajectories R (horizon 12, 12 targets).
#include <benchmark/benchmark.h>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "problem_fixture.hpp"
#ifdef AMF_BENCH_TORCH
#include "amf/torch_criterion.hpp"
#endif

namespace {

amf_test::OwnedProblem workload(int N, int R) {
  amf_test::OwnedProblem op(amf_test::evenly_spaced(R, 0.0, 3.5), amf_test::evenly_spaced(N, 0.01),
                            amf_test::evenly_spaced(12), 12);
  return op;
}

void BM_CpuBackend(benchmark::State& state) {
  auto op = workload(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  for (auto _ : state) benchmark::DoNotOptimize(amf::evaluate_criterion(op.problem, *backend));
  state.counters["candidates/s"] = benchmark::Counter(static_cast<double>(state.range(0)) * state.iterations(),
                                                      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CpuBackend)->Args({32, 12})->Args({128, 12})->Args({128, 24})->Unit(benchmark::kMillisecond);

#ifdef AMF_BENCH_TORCH
void BM_TorchReference(benchmark::State& state) {
  auto op = workload(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(amf::torch_reference_criterion(op.problem, false));
  state.counters["candidates/s"] = benchmark::Counter(static_cast<double>(state.range(0)) * state.iterations(),
                                                      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TorchReference)->Args({32, 12})->Args({128, 12})->Args({128, 24})->Unit(benchmark::kMillisecond);
#endif

}  // namespace

BENCHMARK_MAIN();
