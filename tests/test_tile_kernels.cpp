// The bodies of the materialised path's device kernels (kernels/gp_kernels.cu), run on the CPU:
// the criterion tile block program through the block emulator against Eigen (1e-11 relative),
// the importance weights' per-(task, trajectory) log-likelihood sum and the shifted softmax
// against plain loops written here.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <vector>

#include "testing/block_emulator.hpp"
#include "criterion_tile.cuh"
#include "tile_math.cuh"

namespace {

using Matrix = Eigen::MatrixXd;

class CriterionTileBlock : public ::testing::TestWithParam<int> {};

TEST_P(CriterionTileBlock, MatchesEigenPerPair) {
  const int T = GetParam(), P = 3;
  const std::int64_t M = 300;  // more targets than threads: the stride loop wraps
  std::mt19937 rng(T);
  std::normal_distribution<double> g;
  std::vector<double> G(P * T * T), C(P * T * M), C0, prior(M), omega(M), J(P), gain(P), jitter(P);
  std::vector<Matrix> Gs;
  for (int q = 0; q < P; ++q) {
    Matrix F(T, T + 3);
    for (int i = 0; i < F.size(); ++i) F.data()[i] = g(rng);
    Matrix Gq = F * F.transpose() / (T + 3.0);
    Gq.diagonal().array() += 0.05;
    Gs.push_back(Gq);
    for (int a = 0; a < T; ++a)
      for (int b = 0; b < T; ++b) G[q * T * T + a + b * T] = Gq(a, b);  // column-major
  }
  for (double& v : C) v = 0.3 * g(rng);
  C0 = C;
  for (std::int64_t z = 0; z < M; ++z) {
    prior[z] = 2.0 + std::abs(g(rng));
    omega[z] = 1.0 / M;
  }
  amf::kernels::CriterionTileArgs args;
  args.G = G.data();
  args.C = C.data();
  args.T = T;
  args.M = M;
  args.prior = prior.data();
  args.omega = omega.data();
  args.floor = amf::tile::variance_floor(2.0);
  args.J = J.data();
  args.gain = gain.data();
  args.jitter = jitter.data();
  for (int q = 0; q < P; ++q)
    amf::emu::run_block(amf::kernels::kTileThreads, amf::kernels::kTileSharedDoubles,
                        [&](amf::BlockThread th, double* shared) { amf::kernels::criterion_tile_block(args, q, th, shared); });
  for (int q = 0; q < P; ++q) {
    const Eigen::Map<const Matrix> Cq(C0.data() + q * T * M, T, M);
    const Matrix V = Eigen::LLT<Matrix>(Gs[q]).matrixL().solve(Cq);
    double ref_j = 0, ref_g = 0;
    for (std::int64_t z = 0; z < M; ++z) {
      const double v = std::max(prior[z] - V.col(z).squaredNorm(), args.floor);
      ref_j += omega[z] * std::log(v);
      ref_g += omega[z] * 0.5 * std::log(prior[z] / v);
    }
    EXPECT_EQ(jitter[q], 0.0);
    EXPECT_NEAR(J[q], ref_j, 1e-11 * (1 + std::abs(ref_j))) << "pair " << q;
    EXPECT_NEAR(gain[q], ref_g, 1e-11 * (1 + std::abs(ref_g))) << "pair " << q;
  }
  // No shared-memory race: the same bits whatever order the threads of each phase run in.
  using amf::emu::Schedule;
  for (const amf::emu::EmulationOptions order : {amf::emu::EmulationOptions{Schedule::Reversed, 0},
                                                 amf::emu::EmulationOptions{Schedule::Shuffled, 5}}) {
    std::vector<double> J2(P), gain2(P), jitter2(P);
    C = C0;  // the kernel solves in place
    args.J = J2.data();
    args.gain = gain2.data();
    args.jitter = jitter2.data();
    for (int q = 0; q < P; ++q)
      amf::emu::run_block(
          amf::kernels::kTileThreads, amf::kernels::kTileSharedDoubles,
          [&](amf::BlockThread th, double* shared) { amf::kernels::criterion_tile_block(args, q, th, shared); }, order);
    EXPECT_EQ(J2, J) << "schedule " << int(order.schedule);
    EXPECT_EQ(gain2, gain) << "schedule " << int(order.schedule);
    EXPECT_EQ(jitter2, jitter);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, CriterionTileBlock, ::testing::Values(1, 7, 50, 64));

TEST(TileKernels, TrajectoryLogLikelihoodSumIsTheClippedGaussianSum) {
  const int da = 3;
  const long long n = 9, count = 2, ld = count * n;  // two tasks' predictions stacked column-major
  std::mt19937 rng(4);
  std::normal_distribution<double> g;
  std::vector<double> actions(n * da), mean(ld * da), usq(ld);
  for (double& v : actions) v = g(rng);
  for (double& v : mean) v = g(rng);
  for (double& v : usq) v = 0.05 * std::abs(g(rng));
  usq[4] = 5.0;  // explained variance above the prior: clamped at zero, noise only
  const double sf2 = 0.5, noise = 0.01, lo = -6.0, hi = 3.0;
  for (long long q = 0; q < count; ++q) {
    double ref = 0;
    for (long long t = 2; t < 7; ++t) {
      const long long p = q * n + t;
      const double var = std::max(sf2 - usq[p], 0.0) + noise;
      double sq = 0;
      for (int d = 0; d < da; ++d) sq += std::pow(actions[t * da + d] - mean[p + d * ld], 2);
      ref += std::clamp(-0.5 * sq / var - 0.5 * da * std::log(2 * M_PI * var), lo, hi);
    }
    EXPECT_NEAR(amf::tile::trajectory_loglik_sum(actions.data(), da, mean.data(), ld, usq.data(), sf2, noise, lo, hi,
                                                 2, 7, q * n),
                ref, 1e-12 * (1 + std::abs(ref)));
  }
}

TEST(TileKernels, SoftmaxOfDifferencesIsStableAndNormalised) {
  std::vector<double> row{1000.0, 1001.0, -50.0, 999.0}, own{0.0, 1.0, 0.0, -1.0};
  amf::tile::softmax_of_differences(row.data(), own.data(), 4);
  // Differences 1000, 1000, -50, 1000: three equal weights and one negligible, no overflow.
  EXPECT_NEAR(row[0], 1.0 / 3, 1e-15);
  EXPECT_NEAR(row[1], 1.0 / 3, 1e-15);
  EXPECT_NEAR(row[3], 1.0 / 3, 1e-15);
  EXPECT_LT(row[2], 1e-300);
  EXPECT_NEAR(row[0] + row[1] + row[2] + row[3], 1.0, 1e-15);
}

}  // namespace
