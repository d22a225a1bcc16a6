// How close AMF-NN's CPU criterion comes to its GEMM bound: the time of one float64 GEMM with the
// multiply-adds of the criterion's Gram products (kept steps x target points x packed feature
// width, plus each pair's T x T Gram), on the same threads in the same run, over the criterion's
// steady-state time (one evaluate_criterion after a first call). Counters: engine_s, gemm_s,
// of_gemm_bound = gemm_s / engine_s (issue #14's target: at least 0.8), gflops (of the bound GEMM).
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <chrono>
#include <thread>
#include <vector>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"
#include "bench_threads.hpp"
#include "nn_workload.hpp"

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// C = A B^T with the columns of C split evenly over `threads` threads (as the engine splits target
// blocks), each an Eigen GEMM.
double threaded_gemm_seconds(const RowMatrix& A, const RowMatrix& B, int threads) {
  RowMatrix C(A.rows(), B.rows());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  const Eigen::Index per = (B.rows() + threads - 1) / threads;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      const Eigen::Index c0 = std::min<Eigen::Index>(B.rows(), t * per), n = std::min<Eigen::Index>(per, B.rows() - c0);
      if (n > 0) C.middleCols(c0, n).noalias() = A * B.middleRows(c0, n).transpose();
    });
  for (auto& th : pool) th.join();
  return seconds_since(t0);
}

// Packed width of the W-NN features: all LayerNorm columns (2 x 256 each) and each Linear layer's
// inputs and signals.
Eigen::Index packed_width(const amf::FeatureSet& f) {
  Eigen::Index w = 0;
  for (const auto& l : f.layers) w += l.inputs.cols + l.signals.cols;
  return w;
}

// Args: N, R, T, K (W-NN scaled for the CPU, as W-NN-cpu).
void BM_NnGemmBound(benchmark::State& state) {
  const int N = state.range(0), R = state.range(1), T = state.range(2), K = state.range(3);
  amf_bench::NnWorkload w(N, R, T, K);
  amf::BackendOptions o;
  o.cpu_threads = amf_bench::bench_threads();
  auto engine = amf::make_backend(amf::BackendKind::Cpu, o);
  amf::evaluate_criterion(w.p, *engine);  // first call apart: page faults of fresh buffers
  // Every candidate keeps one trajectory of T steps (the workload's log-probabilities), and the
  // flat target log-probabilities keep every pool step: M = K R T.
  const Eigen::Index rows = Eigen::Index(N) * T, M = Eigen::Index(K) * R * T, width = packed_width(w.p.candidate_features);
  // Each pair's T x T Gram is T of its rows against T columns: rows x T more products, counted as
  // T more columns of the same GEMM.
  const RowMatrix A = RowMatrix::Random(rows, width), B = RowMatrix::Random(M + T, width);
  double engine_s = 0, gemm_s = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    amf::evaluate_criterion(w.p, *engine);
    engine_s = seconds_since(t0);
    gemm_s = threaded_gemm_seconds(A, B, amf_bench::bench_threads());
    state.SetIterationTime(engine_s);
  }
  state.counters["engine_s"] = engine_s;
  state.counters["gemm_s"] = gemm_s;
  state.counters["of_gemm_bound"] = gemm_s / engine_s;
  state.counters["gflops"] = 2.0 * double(rows) * double(M + T) * double(width) / gemm_s * 1e-9;
  state.counters["threads"] = amf_bench::bench_threads();
}
BENCHMARK(BM_NnGemmBound)->Name("W-NN-gemm-bound")->Args({8, 16, 50, 5})->UseManualTime()->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
