// The GPU check's measurements (tools/gpu_check.sh), one program that needs no Google Benchmark
// (the device machine has none): AMF-GP workloads on the CUDA backend, the CPU backend and the
// LibTorch implementation on CUDA (when LibTorch has CUDA), in one run, with agreement against
// the float64 CPU engine; plus the device's measured FP64 GEMM rate and copy bandwidth for the
// roofline. The CUDA backend runs twice per workload: the fused streaming kernel (default) and
// the materialised cuBLAS path, each with its peak device memory (DeviceBuffer high-water mark).
// Writes results.md and results.csv into the directory given (default .). --part gp runs the
// yardsticks and the AMF-GP workloads, --part nn the yardsticks, the fused kernel alone and the
// AMF-NN workloads with W-NN at --nn-candidates N (default its full 10000).
// Without a device (the dry run here) it runs the CPU columns of the smallest workloads only.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "feature_problem_fixture.hpp"
#include "gp_peer_export.hpp"
#include "nn_workload.hpp"
#include "problem_fixture.hpp"
#ifdef AMF_GPU_BENCH_TORCH
#include <torch/cuda.h>  // torch::cuda::is_available: not all of torch/torch.h, a minute of compiling

#include "amf/torch/torch_criterion.hpp"
#endif
#ifdef AMF_HAVE_CUDA
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda/cuda_check.hpp"
#include "cuda/kernel_clock.hpp"
#include "device_random.hpp"
#include "fused_kernel_roofline.hpp"
#endif

namespace {

amf_test::OwnedProblem workload(int N, int R, int T, int K) {
  std::vector<double> demos(R), cands(N);
  for (int i = 0; i < R; ++i) demos[i] = 6.283185307179586 * ((i * 0.618033988749895) - std::floor(i * 0.618033988749895));
  for (int i = 0; i < N; ++i) cands[i] = 6.283185307179586 * ((i * 0.414213562373095) - std::floor(i * 0.414213562373095));
  amf_test::OwnedProblem op(demos, cands, amf_test::evenly_spaced(K), T);
  op.problem.kernel = {0.5, 0.5, 0.1};
  op.problem.noise_variance = 0.0025;
  return op;
}

double seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double max_rel(const std::vector<double>& a, const std::vector<double>& ref) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - ref[i]) / std::abs(ref[i]));
  return worst;
}

struct Row {
  std::string workload, backend;
  int N, R, T, K;
  double seconds, vs_cpu_rel_diff, speedup_vs_libtorch;
  double peak_device_mib = -1;  // CUDA rows
  // CUDA rows: the criterion kernels' device time in the call (CUDA events, detail::KernelClock).
  double kernel_seconds = -1;
  // NN fused rows: the cross-covariance GEMM terms' flops over the kernel time alone (not the
  // whole call, whose host gathering and Gram GEMMs say nothing about the kernel).
  double dominant_tflops = -1;
};

amf::BackendOptions cuda_path(amf::CudaCriterionPath path) {
  amf::BackendOptions o;
  o.cuda_criterion = path;
  return o;
}

// One timed CUDA evaluation (after a warm-up) on the given path, with its peak device memory and
// the criterion kernels' device time.
template <typename Problem>
amf::CriterionResult time_cuda(const Problem& problem, amf::CudaCriterionPath path, double* seconds_out,
                               double* peak_mib, double* kernel_seconds) {
  auto cuda = amf::make_backend(amf::BackendKind::Cuda, cuda_path(path));
  amf::evaluate_criterion(problem, *cuda);  // warm-up
  amf::CriterionResult r;
#ifdef AMF_HAVE_CUDA
  amf::detail::DeviceMemoryCounter::reset_peak();
  amf::detail::KernelClock::reset();
  amf::detail::KernelClock::enabled() = true;
#endif
  *seconds_out = seconds([&] { r = amf::evaluate_criterion(problem, *cuda); });
#ifdef AMF_HAVE_CUDA
  amf::detail::KernelClock::enabled() = false;
  *peak_mib = amf::detail::DeviceMemoryCounter::peak() / 1048576.0;
  *kernel_seconds = amf::detail::KernelClock::seconds();
#endif
  return r;
}

constexpr std::pair<amf::CudaCriterionPath, const char*> kCudaPaths[] = {
    {amf::CudaCriterionPath::Fused, "amf-cuda fused"}, {amf::CudaCriterionPath::Materialised, "amf-cuda materialised"}};

// results.md (the preamble, then the table) and results.csv from the rows so far, each written
// atomically (amf/harness/io.hpp) after every workload: a device call cut short by its time limit
// still leaves every finished row behind.
void write_tables(const std::vector<Row>& rows, const std::string& preamble, double dgemm_tflops,
                  const std::string& out, bool print) {
  std::ostringstream md;
  md << preamble
     << "| workload | backend | N | R | T | K | seconds | candidates/s | speedup vs LibTorch (same device) | max rel diff of J vs reference | peak device MiB | criterion kernel seconds (CUDA events) | dominant-term flops / kernel seconds, TFLOP/s (fraction of DGEMM) |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::ostringstream csv;
  csv << "workload,backend,N,R,T,K,seconds,candidates_per_s,speedup_vs_libtorch,max_rel_diff,peak_device_mib,"
         "kernel_seconds,dominant_tflops,fraction_of_dgemm\n";
  for (const Row& r : rows) {
    char speedup[32] = "-", diff[32] = "-", peak[32] = "-", kernel[32] = "-", roof[64] = "-", line[768];
    if (r.speedup_vs_libtorch > 0) std::snprintf(speedup, sizeof speedup, "%.2fx", r.speedup_vs_libtorch);
    if (r.vs_cpu_rel_diff > 0) std::snprintf(diff, sizeof diff, "%.2e", r.vs_cpu_rel_diff);
    if (r.vs_cpu_rel_diff == 0) std::snprintf(diff, sizeof diff, "reference");
    if (r.peak_device_mib >= 0) std::snprintf(peak, sizeof peak, "%.0f", r.peak_device_mib);
    if (r.kernel_seconds >= 0) std::snprintf(kernel, sizeof kernel, "%.4g", r.kernel_seconds);
    const double fraction = r.dominant_tflops > 0 && dgemm_tflops > 0 ? r.dominant_tflops / dgemm_tflops : -1;
    if (r.dominant_tflops > 0) std::snprintf(roof, sizeof roof, "%.2f (%.0f%%)", r.dominant_tflops, 100 * fraction);
    std::snprintf(line, sizeof line, "| %s | %s | %d | %d | %d | %d | %.4g | %.4g | %s | %s | %s | %s | %s |\n",
                  r.workload.c_str(), r.backend.c_str(), r.N, r.R, r.T, r.K, r.seconds, r.N / r.seconds, speedup, diff,
                  peak, kernel, roof);
    md << line;
    csv << r.workload << ',' << r.backend << ',' << r.N << ',' << r.R << ',' << r.T << ',' << r.K << ',' << r.seconds
        << ',' << r.N / r.seconds << ',' << r.speedup_vs_libtorch << ',' << r.vs_cpu_rel_diff << ','
        << r.peak_device_mib << ',' << r.kernel_seconds << ',' << r.dominant_tflops << ',' << fraction << '\n';
  }
  md << "\nReference for the diff column: the float64 CPU engine where it ran, else LibTorch float64 on the same device.\n";
  amf::write_file_atomic(out + "/results.md", md.str());
  amf::write_file_atomic(out + "/results.csv", csv.str());
  if (print) std::printf("%s", md.str().c_str());
}

// Command line: [OUT] [--part all|gp|nn] [--nn-candidates N]. tools/gpu_check.sh runs the
// parts as separate stages, each under its own timeout, and W-NN first at a reduced N.
struct Options {
  std::string out = ".";
  bool gp = true, nn = true;
  int nn_candidates = 10000;
};

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_out = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--part" && has_value) {
      const std::string part = argv[++i];
      if (part != "all" && part != "gp" && part != "nn") throw amf::InvalidArgument("--part: all, gp or nn, not " + part);
      o.gp = part != "nn";
      o.nn = part != "gp";
    } else if (a == "--nn-candidates" && has_value) {
      o.nn_candidates = std::stoi(argv[++i]);
      if (o.nn_candidates < 16) throw amf::InvalidArgument("--nn-candidates: at least 16 (one per pool trajectory)");
    } else if (a.rfind("--", 0) != 0 && !have_out) {
      o.out = a;
      have_out = true;
    } else {
      throw amf::InvalidArgument("usage: gpu_bench [OUT] [--part all|gp|nn] [--nn-candidates N]; not " + a);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse_options(argc, argv);
  const std::string& out = opt.out;
  amf::make_directories(out);
  const bool device = amf::cuda_device_count() > 0;
  std::ostringstream md;
  md << "# amf GPU check\n\n";
  double dgemm_tflops = -1;  // the roofline of the dominant term: cuBLAS FP64 GEMM, measured below
#ifdef AMF_HAVE_CUDA
  if (device) {  // device yardsticks for the roofline: FP64 GEMM rate and device-to-device copy bandwidth
    cudaDeviceProp prop;
    cudaGetDeviceProperties(&prop, 0);
    const int n = 8192;
    double *a, *b, *c;
    cudaMalloc(&a, sizeof(double) * n * n);
    cudaMalloc(&b, sizeof(double) * n * n);
    cudaMalloc(&c, sizeof(double) * n * n);
    amf_bench::fill_uniform(a, std::size_t(n) * n, 1);
    amf_bench::fill_uniform(b, std::size_t(n) * n, 2);
    cublasHandle_t h;
    cublasCreate(&h);
    const double one = 1, zero = 0;
    cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, n, b, n, &zero, c, n);
    cudaDeviceSynchronize();
    const double t_gemm = seconds([&] {
      for (int r = 0; r < 5; ++r) cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, n, b, n, &zero, c, n);
      cudaDeviceSynchronize();
    }) / 5;
    const double t_copy = seconds([&] {
      for (int r = 0; r < 5; ++r) cudaMemcpy(c, a, sizeof(double) * n * n, cudaMemcpyDeviceToDevice);
      cudaDeviceSynchronize();
    }) / 5;
    dgemm_tflops = 2.0 * n * n * n / t_gemm / 1e12;
    md << "Device: " << prop.name << ", FP64 DGEMM " << 2.0 * n * n * n / t_gemm / 1e12 << " TFLOP/s (8192^3), "
       << "device copy " << 2.0 * sizeof(double) * n * n / t_copy / 1e12 << " TB/s (read + write)\n\n";
    cublasDestroy(h);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
  }
#endif
#ifdef AMF_HAVE_CUDA
  if (device && opt.nn) {
    md << amf_bench::fused_kernel_roofline(dgemm_tflops);
    std::fprintf(stderr, "[gpu_bench] fused kernel roofline done\n");
  }
#endif
  if (!device) md << "No CUDA device: dry run, CPU columns of the smallest workload only.\n\n";

  struct Spec {
    const char* name;
    int N, R, T, K;
    bool cpu;
  };
  std::vector<Spec> specs;
  if (opt.gp) specs.push_back({"W-GP-scaled", 200, 50, 20, 12, true});
  if (device && opt.gp)
    for (Spec s : std::vector<Spec>{{"W-GP", 1000, 50, 50, 12, false},
                                    {"sweep-N", 250, 50, 50, 12, false},
                                    {"sweep-N", 500, 50, 50, 12, false},
                                    {"sweep-N", 2000, 50, 50, 12, false},
                                    {"sweep-M", 500, 50, 50, 3, false},
                                    {"sweep-M", 500, 50, 50, 24, false},
                                    {"sweep-M", 500, 50, 50, 48, false}})
      specs.push_back(s);

  std::vector<Row> rows;
  for (const Spec& s : specs) {
    auto op = workload(s.N, s.R, s.T, s.K);
    std::vector<double> ref;
    double t_cpu = 0, t_cuda = 0, t_torch = 0;
    std::size_t cpu_row = rows.size();
    amf::CriterionResult timed_engine;  // the engine run the GPyTorch peer is compared with
    std::string timed_label;
    double timed_seconds = 0;
    if (s.cpu) {
      auto cpu = amf::make_backend(amf::BackendKind::Cpu);
      amf::CriterionResult r;
      t_cpu = seconds([&] { r = amf::evaluate_criterion(op.problem, *cpu); });
      ref = r.J;
      timed_engine = r;
      timed_label = "amf-cpu";
      timed_seconds = t_cpu;
      rows.push_back({s.name, "amf-cpu (" + std::to_string(std::thread::hardware_concurrency()) + " threads)", s.N, s.R,
                      s.T, s.K, t_cpu, 0, 0});
    }
    std::vector<double> torch_J;
#ifdef AMF_GPU_BENCH_TORCH
    const std::string tdev = device && torch::cuda::is_available() ? "cuda" : "cpu";
    if (tdev == "cuda" || s.cpu) {
      amf::torch_reference_criterion(op.problem, false, tdev);  // warm-up (kernels, allocator)
      amf::CriterionResult r;
      t_torch = seconds([&] { r = amf::torch_reference_criterion(op.problem, false, tdev); });
      torch_J = r.J;
      rows.push_back({s.name, "libtorch-" + tdev, s.N, s.R, s.T, s.K, t_torch, ref.empty() ? -1 : max_rel(r.J, ref), 1});
      if (ref.empty()) ref = r.J;
    }
#endif
    if (device)
      for (const auto& [path, label] : kCudaPaths) {
        double peak = -1, kernel = -1;
        const amf::CriterionResult r = time_cuda(op.problem, path, &t_cuda, &peak, &kernel);
        rows.push_back({s.name, label, s.N, s.R, s.T, s.K, t_cuda, ref.empty() ? -1 : max_rel(r.J, ref),
                        t_torch > 0 ? t_torch / t_cuda : 0, peak, kernel});
        if (path == amf::CudaCriterionPath::Fused) {
          timed_engine = r;
          timed_label = label;
          timed_seconds = t_cuda;
        }
      }
    // The GPyTorch peer's problem: W-GP on a device, the dry run's W-GP-scaled here.
    if (std::string(s.name) == (device ? "W-GP" : "W-GP-scaled") && !timed_label.empty()) {
      const std::string dir = out + "/gp_peer";
      amf::make_directories(dir);
      amf_bench::export_gp_peer_problem(op.problem, dir, 3, timed_label, timed_seconds,
                                        amf_bench::kept_pairs(timed_engine, s.R, op.problem.min_weight));
    }
    if (s.cpu && t_torch > 0) rows[cpu_row].speedup_vs_libtorch = t_torch / t_cpu;
    std::fprintf(stderr, "[gpu_bench] %s N=%d R=%d T=%d K=%d done\n", s.name, s.N, s.R, s.T, s.K);
    write_tables(rows, md.str(), dgemm_tflops, out, false);
  }

  // AMF-NN: the feature criterion, engine on CPU and CUDA against LibTorch's implementation on
  // the same device. Dry run: the small fixture MLP (Linear 5->H, LayerNorm H, Linear H->3).
  // Device: W-NN at N --nn-candidates (its full size 10000), R 16, T 50, M 4000 (K 5), MLP 4 x 256 with LayerNorm
  // (bench/nn_workload.hpp), candidate features for the one kept trajectory per candidate only
  // (candidate_feature_rows: 16 GB on the host; the dense layout would be 263 GB).
  if (opt.nn) {
    amf_test::OwnedFeatureProblem small(8, 20, 32, 4, true, 7, 32);
    std::unique_ptr<amf_bench::NnWorkload> wnn;
    struct NnCase {
      const char* name;
      const amf::FeatureCriterionProblem* p;
      int N, R, T, K;
      bool cpu;
      double flops;  // dominant term: 2 T M (sum of term widths) per kept pair, fused path
    };
    std::vector<NnCase> cases{{"W-NN-scaled (H 32)", &small.problem, 32, 8, 20, 4, true, 0}};
    if (device) {
      const int N = opt.nn_candidates, R = 16, T = 50, K = 5;
      wnn = std::make_unique<amf_bench::NnWorkload>(N, R, T, K, true, true);
      const double M = double(K) * R * T, widths = 4110;  // Linear 10+256, 3 x 512, 256+4; LayerNorm 4 x 512
      cases.push_back({N == 10000 ? "W-NN 4x256" : "W-NN 4x256 (reduced N)", &wnn->p, N, R, T, K, false, 2.0 * T * M * widths * N});
    }
    for (const NnCase& s : cases) {
      std::vector<double> ref;
      double t_torch = 0;
      std::size_t cpu_row = rows.size();
      if (s.cpu) {
        auto cpu = amf::make_backend(amf::BackendKind::Cpu);
        amf::CriterionResult r;
        const double t = seconds([&] { r = amf::evaluate_criterion(*s.p, *cpu); });
        ref = r.J;
        rows.push_back({s.name, "amf-cpu", s.N, s.R, s.T, s.K, t, 0, 0});
      }
      // The CUDA rows first, written at once: on the device LibTorch may use up the stage's
      // time at W-NN's full size, and the engine's numbers must come back regardless. Their
      // diffs and speedups are filled in once LibTorch has run.
      std::vector<std::pair<std::size_t, std::vector<double>>> cuda_rows;
      if (device)
        for (const auto& [path, label] : kCudaPaths) {
          double t = 0, peak = -1, kernel = -1;
          amf::CriterionResult r = time_cuda(*s.p, path, &t, &peak, &kernel);
          const bool rate = s.flops > 0 && kernel > 0 && path == amf::CudaCriterionPath::Fused;
          rows.push_back({s.name, label, s.N, s.R, s.T, s.K, t, ref.empty() ? -1 : max_rel(r.J, ref), 0, peak, kernel,
                          rate ? s.flops / kernel / 1e12 : -1});
          cuda_rows.emplace_back(rows.size() - 1, std::move(r.J));
          write_tables(rows, md.str(), dgemm_tflops, out, false);
        }
#ifdef AMF_GPU_BENCH_TORCH
      const std::string tdev = device && torch::cuda::is_available() ? "cuda" : "cpu";
      if (tdev == "cuda" || s.cpu) {
        amf::torch_feature_criterion(*s.p, false, tdev);  // warm-up
        amf::CriterionResult r;
        t_torch = seconds([&] { r = amf::torch_feature_criterion(*s.p, false, tdev); });
        rows.push_back({s.name, "libtorch-" + tdev, s.N, s.R, s.T, s.K, t_torch, ref.empty() ? -1 : max_rel(r.J, ref), 1});
        if (ref.empty()) ref = r.J;
        if (s.cpu) rows[cpu_row].speedup_vs_libtorch = t_torch / rows[cpu_row].seconds;
        for (const auto& [row, J] : cuda_rows) {
          rows[row].vs_cpu_rel_diff = max_rel(J, ref);
          rows[row].speedup_vs_libtorch = t_torch / rows[row].seconds;
        }
      }
#endif
      std::fprintf(stderr, "[gpu_bench] %s done\n", s.name);
      write_tables(rows, md.str(), dgemm_tflops, out, false);
    }
  }

  write_tables(rows, md.str(), dgemm_tflops, out, true);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gpu_bench: %s\n", e.what());
  return 1;
}
