// The device tile kernel against the same tile math on the CPU. Skipped, with the reason
// printed, where CUDA is not compiled in or no device is visible.
#include <gtest/gtest.h>

#include <random>

#include "amf/backend.hpp"
#include "testing/batched_tile.hpp"
#include "tile_math.cuh"

namespace {

class DeviceTile : public ::testing::TestWithParam<int> {};

TEST_P(DeviceTile, MatchesCpuTileMath) {
  if (!amf::cuda_compiled()) GTEST_SKIP() << "CUDA is not compiled into this build";
  if (amf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device is visible";
  const int T = GetParam(), M = 37, batch = 5;
  std::mt19937 rng(T);
  std::normal_distribution<double> g;
  std::vector<double> A(batch * T * T), B(batch * T * M);
  for (int b = 0; b < batch; ++b) {
    std::vector<double> F(T * (T + 2));
    for (double& v : F) v = g(rng);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) {
        double s = i == j ? 1e-2 : 0.0;
        for (int k = 0; k < T + 2; ++k) s += F[i * (T + 2) + k] * F[j * (T + 2) + k];
        A[b * T * T + i * T + j] = s;
      }
  }
  for (double& v : B) v = g(rng);
  const auto gpu = amf::detail::device_tile_squared_norms(A, B, batch, T, M);
  for (int b = 0; b < batch; ++b) {
    std::vector<double> L(A.begin() + b * T * T, A.begin() + (b + 1) * T * T);
    std::vector<double> C(B.begin() + b * T * M, B.begin() + (b + 1) * T * M);
    ASSERT_TRUE(amf::tile::cholesky_lower(L.data(), T, T));
    for (int z = 0; z < M; ++z) {
      amf::tile::forward_substitute(L.data(), T, T, C.data() + z, M);
      const double ref = amf::tile::squared_norm_strided(C.data() + z, T, M);
      EXPECT_NEAR(gpu[b * M + z], ref, 1e-9 * (1 + ref));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, DeviceTile, ::testing::Values(1, 7, 50, 64));

}  // namespace
