// What a greedy batch of B costs next to a batch of 1, with incremental conditioning (the default:
// the session keeps the first pass's cross-covariances and updates them per pick) and without it
// (BackendOptions::session_cache_bytes = 0: every step recomputes the criterion), all in the same
// run, and with half the budget a fully kept session takes (kept_bytes: its blocks, and for
// AMF-NN its stacked steps' packed features; the session keeps the blocks of the pairs that fit
// and recomputes the others at every step). Counters: batch1_s, batchB_s,
// batchB_recompute_s, batchB_half_budget_s, cost_ratio = batchB_s / batch1_s (issue #14's target:
// at most 1.5 for B = 10 when the blocks fit), cost_ratio_recompute, cost_ratio_half_budget,
// same_picks (1 when all three batches and pseudo-demonstrations agree) and max_rel_diff_batch_J
// (of the kept and the half-kept batch's J against recomputation).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"
#include "bench_threads.hpp"
#include "nn_workload.hpp"
#include "workloads.hpp"

namespace {

std::unique_ptr<amf::Backend> cpu_backend(std::int64_t cache_bytes) {
  amf::BackendOptions o;
  o.cpu_threads = amf_bench::bench_threads();
  o.session_cache_bytes = cache_bytes;
  return amf::make_backend(amf::BackendKind::Cpu, o);
}

template <typename Problem>
double seconds(Problem problem, int batch, std::int64_t cache_bytes, amf::CriterionResult* out) {
  problem.batch_size = batch;
  auto backend = cpu_backend(cache_bytes);
  const auto t0 = std::chrono::steady_clock::now();
  *out = amf::select_batch(problem, *backend);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The bytes a session keeps when everything it would keep fits (kept_bytes).
template <typename Problem>
std::int64_t whole_kept_bytes(const Problem& problem) {
  auto backend = cpu_backend(-1);
  auto session = backend->open_session(problem);
  session->score();
  return session->kept_bytes();
}

template <typename Problem>
void measure_batch_cost(benchmark::State& state, const Problem& problem, int B) {
  double one = 0, kept = 0, fresh = 0, half = 0;
  amf::CriterionResult r1, rk, rf, rh;
  const std::int64_t half_budget = whole_kept_bytes(problem) / 2;
  for (auto _ : state) {
    one = seconds(problem, 1, -1, &r1);
    kept = seconds(problem, B, -1, &rk);
    fresh = seconds(problem, B, 0, &rf);
    half = seconds(problem, B, half_budget, &rh);
    state.SetIterationTime(kept);
  }
  double worst = 0;
  for (const auto* r : {&rk, &rh})
    for (std::size_t b = 0; b < rf.batch_J.size() && b < r->batch_J.size(); ++b)
      worst = std::max(worst, std::abs(r->batch_J[b] - rf.batch_J[b]) / std::abs(rf.batch_J[b]));
  state.counters["batch1_s"] = one;
  state.counters["batchB_s"] = kept;
  state.counters["batchB_recompute_s"] = fresh;
  state.counters["batchB_half_budget_s"] = half;
  state.counters["cost_ratio"] = kept / one;
  state.counters["cost_ratio_recompute"] = fresh / one;
  state.counters["cost_ratio_half_budget"] = half / one;
  state.counters["same_picks"] = rk.batch == rf.batch && rk.pseudo_demo_trajectory == rf.pseudo_demo_trajectory &&
                                 rh.batch == rf.batch && rh.pseudo_demo_trajectory == rf.pseudo_demo_trajectory;
  state.counters["max_rel_diff_batch_J"] = worst;
}

// The activeft-equivalent problem (bench/bench_activeft.py, docs/activeft.md): one pool
// trajectory of one step, N candidates and K targets with random D-dimensional embeddings.
struct EmbeddingProblem {
  std::vector<std::int64_t> offsets{0, 1};
  std::vector<double> cand_logp, targ_logp, own{0.0}, probs, cand, targ;
  amf::FeatureCriterionProblem p;
  EmbeddingProblem(int N, int D, int K) : cand_logp(N, 0.0), targ_logp(K, 0.0), probs(K, 1.0 / K) {
    std::mt19937 rng(N * 1000 + D);
    std::normal_distribution<double> g(0.0, 1.0 / std::sqrt(double(D)));
    cand.resize(std::size_t(N) * D);
    targ.resize(std::size_t(K) * D);
    for (double& x : cand) x = g(rng);
    for (double& x : targ) x = g(rng);
    p.traj_offsets = amf::VectorView<std::int64_t>(offsets);
    p.candidate_logp = {cand_logp.data(), N, 1};
    p.target_logp = {targ_logp.data(), K, 1};
    p.own_logp = amf::VectorView<double>(own);
    p.target_probs = amf::VectorView<double>(probs);
    p.candidate_features.embedding = {cand.data(), N, D};
    p.target_features.embedding = {targ.data(), K, D};
    p.noise_variance = 0.1;
  }
};

// Args: N, D, K, B.
void BM_BatchActiveft(benchmark::State& state) {
  const EmbeddingProblem e(state.range(0), state.range(1), state.range(2));
  measure_batch_cost(state, e.p, state.range(3));
}
BENCHMARK(BM_BatchActiveft)->Name("batch-activeft")->Args({1000, 64, 100, 10})->Args({10000, 64, 100, 10})
    ->Args({10000, 256, 100, 10})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// Args: N, R, T, K, B (AMF-GP on integrator demonstrations: sweep-N's size, with a pool of
// n = R T = 480 points, and W-GP-cpu's, n = 1000).
void BM_BatchGp(benchmark::State& state) {
  const auto op = amf_bench::gp_workload(state.range(0), state.range(1), state.range(2), state.range(3));
  measure_batch_cost(state, op.problem, state.range(4));
}
BENCHMARK(BM_BatchGp)->Name("batch-GP")->Args({100, 24, 20, 12, 10})->Args({200, 50, 20, 12, 10})->UseManualTime()->Iterations(1)
    ->Unit(benchmark::kSecond);

// Args: N, R, T, K, B (W-NN scaled for the CPU, as W-NN-cpu).
void BM_BatchNn(benchmark::State& state) {
  amf_bench::NnWorkload w(state.range(0), state.range(1), state.range(2), state.range(3));
  measure_batch_cost(state, w.p, state.range(4));
}
BENCHMARK(BM_BatchNn)->Name("batch-W-NN")->Args({8, 16, 50, 5, 10})->UseManualTime()->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
