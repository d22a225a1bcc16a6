// The fused kernel's block-wide parts, run on the CPU through the block emulator: the Cholesky
// factorisations spread over the block (kernels/block_cholesky.cuh) and the panel forward
// substitution (kernels/block_forward_solve.cuh) against the one-thread tile routines the
// materialised path uses (tile_math.cuh), and the emulator's model of cp.async
// (kernels/async_copy.cuh): a copy lands only when its thread waits for it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "amf/error.hpp"
#include "async_copy.cuh"
#include "block_cholesky.cuh"
#include "block_forward_solve.cuh"
#include "testing/block_emulator.hpp"
#include "tile_math.cuh"

namespace {

using amf::BlockThread;
using amf::emu::Schedule;

constexpr int kThreads = 256;
const amf::emu::EmulationOptions kOrders[] = {
    {Schedule::InOrder, 0}, {Schedule::Reversed, 0}, {Schedule::Shuffled, 1}, {Schedule::Shuffled, 2}};

// Row-major n x n SPD matrix B B^T / n + 0.1 I.
std::vector<double> spd(int n, std::mt19937& rng) {
  std::normal_distribution<double> g;
  std::vector<double> B(n * n), A(n * n, 0.0);
  for (double& b : B) b = g(rng);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      for (int k = 0; k < n; ++k) A[i * n + j] += B[i * n + k] * B[j * n + k] / n;
      A[i * n + j] += i == j ? 0.1 : 0.0;
    }
  return A;
}

// Four pairs in one block: positive definite, singular (needs jitter), NaN, positive definite.
TEST(BlockCholesky, MatchesTheTileFactorAndJitterPerPair) {
  const int n = 13, pairs = 4;
  std::mt19937 rng(5);
  std::vector<double> A;
  for (int p = 0; p < pairs; ++p) {
    const auto a = spd(n, rng);
    A.insert(A.end(), a.begin(), a.end());
  }
  double* singular = A.data() + n * n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) singular[i * n + j] = (i % 3 + 1.0) * (j % 3 + 1.0);  // rank one
  A[2 * n * n + 4 * n + 2] = NAN;

  const int packed = amf::kernels::packed_lower_doubles(n);
  const std::size_t shared = pairs * packed + amf::kernels::kCholeskyStateDoubles;
  std::vector<double> first_L, first_jitter;
  for (const auto& order : kOrders) {
    std::vector<double> L(pairs * packed), jitter(pairs);
    amf::emu::run_block(
        kThreads, shared,
        [&](BlockThread th, double* sh) {
          amf::kernels::block_cholesky_with_jitter(A.data(), n * n, n, pairs, sh, sh + pairs * packed, th);
          if (th.index == 0) {
            std::copy(sh, sh + pairs * packed, L.begin());
            const double* j = amf::kernels::block_cholesky_jitter(sh + pairs * packed);
            std::copy(j, j + pairs, jitter.begin());
          }
        },
        order);
    for (int p = 0; p < pairs; ++p) {
      std::vector<double> ref(n * n);
      const double ref_jitter = amf::tile::cholesky_with_jitter(A.data() + p * n * n, ref.data(), n, n, 6);
      EXPECT_EQ(jitter[p], ref_jitter) << "pair " << p;
      if (ref_jitter < 0) continue;
      if (ref_jitter > 0) {  // a jittered rank-one matrix: its factor is ill-conditioned, so check L L^T
        for (int i = 0; i < n; ++i)
          for (int k = 0; k <= i; ++k) {
            double llt = 0;
            for (int m = 0; m <= k; ++m)
              llt += L[p * packed + amf::kernels::packed_row(i) + m] * L[p * packed + amf::kernels::packed_row(k) + m];
            const double a = A[p * n * n + i * n + k] + (i == k ? jitter[p] : 0.0);
            EXPECT_NEAR(llt, a, 1e-12 * 9) << "pair " << p << " (" << i << ", " << k << ")";
          }
        continue;
      }
      for (int i = 0; i < n; ++i)
        for (int k = 0; k <= i; ++k)
          EXPECT_NEAR(L[p * packed + amf::kernels::packed_row(i) + k], ref[i * n + k], 1e-12 * (1 + std::abs(ref[i * n + k])))
              << "pair " << p << " (" << i << ", " << k << ")";
    }
    EXPECT_EQ(jitter[0], 0.0);
    EXPECT_GT(jitter[1], 0.0);
    EXPECT_EQ(jitter[2], -1.0);
    if (first_L.empty()) {
      first_L = L;
      first_jitter = jitter;
    } else {  // a schedule-dependent result is a shared-memory race
      for (int p = 0; p < pairs; ++p)
        if (jitter[p] >= 0)
          for (int e = 0; e < packed; ++e) EXPECT_EQ(L[p * packed + e], first_L[p * packed + e]) << "pair " << p;
      EXPECT_EQ(jitter, first_jitter);
    }
  }
}

// Two pairs of n = 21 (panels 8, 8, 5) with 64 columns, of which 50 are valid; a third pair
// whose factor failed (jitter -1) is left as it was.
TEST(BlockForwardSolve, MatchesTheTileForwardSubstitution) {
  constexpr int Cols = 64, ldc = Cols + 8;
  const int n = 21, pairs = 3, valid = 50;
  std::mt19937 rng(9);
  std::normal_distribution<double> g;
  const int packed = amf::kernels::packed_lower_doubles(n);
  std::vector<double> L(pairs * packed), C(pairs * n * ldc), full(n * n);
  const double jitter[pairs] = {0.0, 1e-9, -1.0};
  for (int p = 0; p < pairs; ++p) {
    const auto a = spd(n, rng);
    ASSERT_GE(amf::tile::cholesky_with_jitter(a.data(), full.data(), n, n, 0), 0.0);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k <= i; ++k) L[p * packed + amf::kernels::packed_row(i) + k] = full[i * n + k];
  }
  for (double& c : C) c = g(rng);
  const std::size_t shared = C.size() + L.size() + pairs;
  for (const auto& order : kOrders) {
    std::vector<double> solved(C.size()), norms(kThreads);
    amf::emu::run_block(
        kThreads, shared,
        [&](BlockThread th, double* sh) {
          double* c = sh;
          double* l = c + C.size();
          double* jit = l + L.size();
          if (th.index == 0) {
            std::copy(C.begin(), C.end(), c);
            std::copy(L.begin(), L.end(), l);
            std::copy(jitter, jitter + pairs, jit);
          }
          amf::block_sync();
          norms[th.index] = amf::kernels::block_forward_solve<Cols>(c, ldc, l, n, pairs, jit, valid, th);
          if (th.index == 0) std::copy(c, c + C.size(), solved.begin());
        },
        order);
    for (int p = 0; p < pairs; ++p)
      for (int z = 0; z < Cols; ++z) {
        std::vector<double> v(n), ref(n);
        for (int i = 0; i < n; ++i) v[i] = ref[i] = C[(p * n + i) * ldc + z];
        const bool solves = jitter[p] >= 0 && z < valid;
        if (solves) {
          for (int i = 0; i < n; ++i) full[i * n + i] = 0;  // reuse as an unpacked copy of L_p
          for (int i = 0; i < n; ++i)
            for (int k = 0; k <= i; ++k) full[i * n + k] = L[p * packed + amf::kernels::packed_row(i) + k];
          amf::tile::forward_substitute(full.data(), n, n, ref.data(), 1);
        }
        double norm = 0;
        for (int i = 0; i < n; ++i) {
          EXPECT_NEAR(solved[(p * n + i) * ldc + z], ref[i], 1e-12 * (1 + std::abs(ref[i]))) << p << " " << i << " " << z;
          norm += ref[i] * ref[i];
        }
        EXPECT_NEAR(norms[p * Cols + z], solves ? norm : 0.0, 1e-12 * (1 + norm)) << "pair " << p << " column " << z;
      }
  }
}

// Each thread copies one double of a global array into shared memory and, after the barrier,
// reads its neighbour's.
std::vector<double> neighbour_reads(bool wait, Schedule schedule) {
  std::vector<double> src(64), seen(64);
  for (int i = 0; i < 64; ++i) src[i] = i + 0.5;
  amf::emu::run_block(
      64, 64,
      [&](BlockThread th, double* sh) {
        amf::async_copy<1>(sh + th.index, src.data() + th.index, true);
        amf::async_commit();
        if (wait) amf::async_wait<0>();
        amf::block_sync();
        seen[th.index] = sh[(th.index + 1) % 64];
        if (!wait) amf::async_wait<0>();  // so the thread does not return with copies in flight
      },
      {schedule, 0});
  return seen;
}

TEST(AsyncCopyEmulation, ACopyLandsOnlyAfterItsThreadWaits) {
  const auto good = neighbour_reads(true, Schedule::Shuffled);
  for (int t = 0; t < 64; ++t) EXPECT_EQ(good[t], (t + 1) % 64 + 0.5);
  // Without the wait the barrier publishes nothing: in order, every thread but the last reads its
  // neighbour's slot before the neighbour's (late) wait lands the copy, and sees the NaN fill.
  const auto stale = neighbour_reads(false, Schedule::InOrder);
  EXPECT_EQ(std::count_if(stale.begin(), stale.end(), [](double v) { return std::isnan(v); }), 63);
}

TEST(AsyncCopyEmulation, WaitGroupLeavesTheNewestGroupsInFlight) {
  const double src[4] = {1, 2, 3, 4};
  double after_first = 0, after_all = 0, zero_filled = 1;
  amf::emu::run_block(1, 8, [&](BlockThread, double* sh) {
    amf::async_copy<2>(sh, src, true);
    amf::async_commit();
    amf::async_copy<2>(sh + 2, src + 2, true);
    amf::async_copy<1>(sh + 4, src, false);  // zero fill
    amf::async_commit();
    amf::async_wait<1>();
    after_first = sh[1] + (std::isnan(sh[2]) ? 0.0 : 100.0);
    amf::async_wait<0>();
    after_all = sh[3];
    zero_filled = sh[4];
  });
  EXPECT_EQ(after_first, 2.0);
  EXPECT_EQ(after_all, 4.0);
  EXPECT_EQ(zero_filled, 0.0);
}

TEST(AsyncCopyEmulation, MisuseIsAnError) {
  alignas(16) const double src[4] = {1, 2, 3, 4};
  auto run = [&](auto&& body) { amf::emu::run_block(1, 8, [&](BlockThread, double* sh) { body(sh); }); };
  EXPECT_THROW(run([&](double* sh) {  // returns with a copy it never waited for
                 amf::async_copy<1>(sh, src, true);
                 amf::async_commit();
               }),
               amf::Error);
  EXPECT_THROW(run([&](double* sh) { amf::async_copy<2>(sh, src + 1, true); }), amf::Error);  // misaligned source
  EXPECT_THROW(run([&](double* sh) { amf::async_copy<2>(sh + 1, src, true); }), amf::Error);  // misaligned target
  double outside[2];
  EXPECT_THROW(run([&](double*) { amf::async_copy<1>(outside, src, true); }), amf::Error);  // not shared memory
  EXPECT_NO_THROW(run([&](double* sh) {
    amf::async_copy<2>(sh + 2, src, true);
    amf::async_commit();
    amf::async_wait<0>();
  }));
}

}  // namespace
