#pragma once
// The fused streaming kernel alone on W-NN's shapes (gpu_bench): P pairs of T = 50 steps against
// M = 4000 targets with the terms of the MLP 4 x 256 with LayerNorm (Linear 10->256, 3 x
// 256->256, 256->4 as LinearLayer terms; 4 LayerNorms as two products of 256 each), random
// features, identity pair Grams. Timed with CUDA events (best of 3 after a warm-up). The
// dominant term is the cross-covariance GEMMs: 2 T M (sum of term widths) flops per pair. The
// same multiply-adds as one cuBLAS DGEMM with a materialised (P T) x M output are timed too.
// Returns a markdown paragraph.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "device_random.hpp"
#include "cuda/cuda_check.hpp"
#include "fused_launch.cuh"

namespace amf_bench {

inline std::string fused_kernel_roofline(double dgemm_tflops) {
  using amf::detail::DeviceBuffer;
  namespace k = amf::kernels;
  const int T = 50;
  const std::int64_t M = 4000, P = 1024, rows = P * T;
  struct Shape {
    k::StreamTermKind kind;
    int first, second;  // widths: LinearLayer (signals = out, inputs = in); Product (width, -)
  };
  std::vector<Shape> shapes{{k::StreamTermKind::LinearLayer, 256, 10}};
  for (int l = 0; l < 3; ++l) shapes.push_back({k::StreamTermKind::LinearLayer, 256, 256});
  shapes.push_back({k::StreamTermKind::LinearLayer, 4, 256});
  for (int l = 0; l < 8; ++l) shapes.push_back({k::StreamTermKind::Product, 256, 0});
  std::vector<DeviceBuffer<double>> buffers;
  std::uint64_t state = 7;
  auto random_buffer = [&](std::int64_t count) {
    std::vector<double> h(count);
    for (double& x : h) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      x = (static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5) * 0.35;
    }
    buffers.emplace_back(count);
    AMF_CUDA_TRY(cudaMemcpy(buffers.back().get(), h.data(), count * sizeof(double), cudaMemcpyHostToDevice));
    return buffers.back().get();
  };
  auto factor = [&](int width) {
    const double* x = random_buffer(rows * width);
    const double* z = random_buffer(M * width);
    return k::StreamFactor{x, std::int64_t(T) * width, width, z, width, width};
  };
  std::vector<double> hG(P * T * T, 0.0), hOnes(M, 1.0);
  for (std::int64_t q = 0; q < P; ++q)
    for (int a = 0; a < T; ++a) hG[q * T * T + a * (T + 1)] = 1.0;
  DeviceBuffer<double> G(hG.size()), prior(M), omega(M), J(P), gain(P), jitter(P);
  AMF_CUDA_TRY(cudaMemcpy(G.get(), hG.data(), hG.size() * sizeof(double), cudaMemcpyHostToDevice));
  AMF_CUDA_TRY(cudaMemcpy(prior.get(), hOnes.data(), M * sizeof(double), cudaMemcpyHostToDevice));
  AMF_CUDA_TRY(cudaMemcpy(omega.get(), hOnes.data(), M * sizeof(double), cudaMemcpyHostToDevice));
  k::FusedCriterionArgs args =
      k::fused_args(G.get(), P, T, M, prior.get(), omega.get(), 1e-12, J.get(), gain.get(), jitter.get());
  double widths = 0;
  for (const Shape& s : shapes) {
    k::StreamTerm term{s.kind, 1.0, factor(s.first), {}};
    widths += s.first;
    if (s.kind == k::StreamTermKind::LinearLayer) {
      term.second = factor(s.second);
      widths += s.second;
    }
    args.terms[args.num_terms++] = term;
  }
  cudaEvent_t start, stop;
  AMF_CUDA_TRY(cudaEventCreate(&start));
  AMF_CUDA_TRY(cudaEventCreate(&stop));
  auto best_of_3 = [&](auto&& launch) {
    launch();  // warm-up
    float best = 1e30f;
    for (int r = 0; r < 3; ++r) {
      AMF_CUDA_TRY(cudaEventRecord(start));
      launch();
      AMF_CUDA_TRY(cudaEventRecord(stop));
      AMF_CUDA_TRY(cudaEventSynchronize(stop));
      float ms = 0;
      AMF_CUDA_TRY(cudaEventElapsedTime(&ms, start, stop));
      best = ms < best ? ms : best;
    }
    return best / 1e3;
  };
  const double fused_s = best_of_3([&] { k::fused_criterion(args, nullptr); });
  const double flops = 2.0 * T * double(M) * widths * P;

  // The same multiply-adds as one DGEMM: A (rows x widths) times B (widths x M), output materialised.
  const auto W = static_cast<std::int64_t>(widths);
  DeviceBuffer<double> A(rows * W), B(W * M), C(rows * M);
  AMF_CUDA_TRY(amf_bench::fill_uniform(A.get(), static_cast<std::size_t>(rows * W), 3));
  AMF_CUDA_TRY(amf_bench::fill_uniform(B.get(), static_cast<std::size_t>(W * M), 4));
  cublasHandle_t h;
  cublasCreate(&h);
  const double one = 1.0, zero = 0.0;
  const double gemm_s = best_of_3([&] {
    cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(M), static_cast<int>(W), &one,
                A.get(), static_cast<int>(rows), B.get(), static_cast<int>(W), &zero, C.get(), static_cast<int>(rows));
  });
  cublasDestroy(h);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::ostringstream md;
  md << "Fused kernel alone, W-NN shapes (P " << P << " pairs, T " << T << ", M " << M << ", term widths " << W
     << "): " << fused_s << " s, " << flops / fused_s / 1e12 << " TFLOP/s on the dominant term = "
     << 100 * flops / fused_s / 1e12 / dgemm_tflops << "% of the measured DGEMM rate; the same multiply-adds as one "
     << "cuBLAS DGEMM with a materialised " << rows << " x " << M << " output: " << gemm_s << " s ("
     << flops / gemm_s / 1e12 << " TFLOP/s).\n\n";
  return md.str();
}

}  // namespace amf_bench
