// Time per gradient step of the default 4 x 256 MLP policy at batch 256 (float32, CPU):
// behaviour cloning, plain fine-tuning, parameter isolation with P = 4 copies trained as one
// batched model, and the same 4 copies as 4 separate fine-tuners (the baseline the batched form
// replaces). All four in the same run, so the ratio means something on a shared machine.
// LibTorch's intra-op pool gets AMF_BENCH_THREADS threads (default one per core), as in
// bench_engine.
//
//   build/bench/bench_finetune
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <vector>

#include "amf/torch/fine_tuner.hpp"
#include "bench_threads.hpp"
#include "finetune_fixture.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds per step of f, which runs `steps` steps; one warm-up call first.
template <typename F>
double ms_per_step(F&& f, double steps) {
  f();
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / steps;
}

void BM_FinetuneStep(benchmark::State& state) {
  torch::set_num_threads(amf_bench::bench_threads());
  torch::manual_seed(1);
  amf::MlpPolicy pre(amf::MlpPolicyConfig{4, 2, 4, 256, true});
  const auto data = amf_test::synthetic_bc(4096, 0, 2 * M_PI, 1, torch::kFloat32);
  amf::FinetuneConfig cfg;
  cfg.steps_per_round = 50;
  cfg.batch_size = 256;
  cfg.device = "cpu";
  amf::ForgettingConfig isolation;
  isolation.kind = amf::Forgetting::ParameterIsolation;
  isolation.centres = torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0}, {0.0, -1.0}});

  for (auto _ : state) {
    amf::FineTuner single(pre, amf::ForgettingConfig{}, cfg);
    const double fine_tune = ms_per_step([&] { single.fine_tune(data); }, cfg.steps_per_round);

    amf::FineTuner batched(pre, isolation, cfg);
    const double batched_ms = ms_per_step([&] { batched.fine_tune(data); }, cfg.steps_per_round);

    const auto part = batched.partition_of(data.tasks());
    std::vector<amf::FineTuner> separate;
    std::vector<amf::BcData> shards;
    for (int p = 0; p < 4; ++p) {
      separate.emplace_back(pre, amf::ForgettingConfig{}, cfg);
      shards.push_back(amf::select_rows(data, (part == p).nonzero().squeeze(1)));
    }
    const double separate_ms = ms_per_step(
        [&] {
          for (int p = 0; p < 4; ++p) separate[p].fine_tune(shards[p]);
        },
        cfg.steps_per_round);

    amf::FinetuneConfig bc = cfg;
    bc.epochs = 2;
    amf::MlpPolicy net(amf::MlpPolicyConfig{4, 2, 4, 256, true});
    const double bc_ms = ms_per_step([&] { amf::behaviour_clone(net, data, bc); }, 2 * 4096.0 / 256);

    state.SetIterationTime(batched_ms * cfg.steps_per_round / 1e3);
    state.counters["bc_ms_per_step"] = bc_ms;
    state.counters["finetune_ms_per_step"] = fine_tune;
    state.counters["isolation4_batched_ms_per_step"] = batched_ms;
    state.counters["isolation4_separate_ms_per_step"] = separate_ms;
    state.counters["batched_speedup_vs_separate"] = separate_ms / batched_ms;
    state.counters["torch_threads"] = torch::get_num_threads();
  }
}

BENCHMARK(BM_FinetuneStep)->Name("finetune-step-4x256-batch256")->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
