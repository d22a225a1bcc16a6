// The fused streaming criterion kernel (kernels/fused_criterion.cuh), run on the CPU through the
// block emulator: the device's own block program, with its shared-memory layout, staging and
// barriers, against a textbook float64 computation of the same criterion (Eigen LLT, a
// materialised cross-covariance). Tolerance 1e-10 relative: the two differ only in summation order.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "amf/error.hpp"
#include "testing/block_emulator.hpp"
#include "core/fused_terms.hpp"
#include "feature_problem_fixture.hpp"
#include "gp/feature_gram.hpp"
#include "fused_criterion.cuh"

namespace {

using amf::BlockThread;
using amf::kernels::FusedCriterionArgs;
using amf::kernels::StreamTermKind;
using Matrix = Eigen::MatrixXd;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Runs every block of the grid through the emulator.
void run_fused_on_cpu(const FusedCriterionArgs& args, const amf::emu::EmulationOptions& options = {}) {
  const int per_block = amf::kernels::fused_pairs_per_block(args.T);
  const std::int64_t blocks = (args.P + per_block - 1) / per_block;
  for (std::int64_t b = 0; b < blocks; ++b)
    amf::emu::run_block(
        amf::kernels::kFusedThreads, amf::kernels::fused_shared_doubles(args.T),
        [&](BlockThread th, double* shared) { amf::kernels::fused_criterion_block(args, b, th, shared); }, options);
}

// The kernel's outputs must not depend on the order in which threads run between barriers (a
// device guarantees none): reruns `args` under the reversed order and two shuffled ones and asks
// for bit-identical J, gain and jitter. A difference is a shared-memory race.
void expect_schedule_independent(FusedCriterionArgs args, const std::vector<double>& J,
                                 const std::vector<double>& gain, const std::vector<double>& jitter) {
  using amf::emu::Schedule;
  const amf::emu::EmulationOptions orders[] = {{Schedule::Reversed, 0}, {Schedule::Shuffled, 1}, {Schedule::Shuffled, 2}};
  for (const auto& order : orders) {
    std::vector<double> J2(J.size(), NAN), gain2(J.size(), NAN), jitter2(J.size(), NAN);
    args.J = J2.data();
    args.gain = gain2.data();
    args.jitter = jitter2.data();
    run_fused_on_cpu(args, order);
    for (std::size_t q = 0; q < J.size(); ++q) {
      EXPECT_EQ(J2[q], J[q]) << "pair " << q << ", schedule " << int(order.schedule) << " seed " << order.seed;
      EXPECT_EQ(gain2[q], gain[q]) << "pair " << q << ", schedule " << int(order.schedule) << " seed " << order.seed;
      EXPECT_EQ(jitter2[q], jitter[q]) << "pair " << q;
    }
  }
}

// Points carrying every kind of input the kernel streams: RBF coordinates (2 state + 1 task),
// a small Linear layer, a LayerNorm layer (two products), a Linear layer wider than one staging
// chunk (kDepthChunk = 16), so the chunk loop and its ragged last chunk both run, and a Linear
// layer without bias on kTokens tokens (signals 18 wide per token: 16-byte copies at every token
// offset; inputs 5: 8-byte copies), whose term sums over token pairs.
constexpr int kTokens = 2, kTokenSignals = 18, kTokenInputs = 5;

struct Points {
  RowMatrix x, sig0, in0, ln_left, ln_right, sig2, in2, sig3, in3;
  Points(std::int64_t n, std::mt19937& rng) {
    std::normal_distribution<double> g;
    auto fill = [&](RowMatrix& m, int cols, double scale) {
      m.resize(n, cols);
      for (std::int64_t i = 0; i < m.size(); ++i) m.data()[i] = scale * g(rng);
    };
    fill(x, 3, 0.7);
    fill(sig0, 5, 0.5);
    fill(in0, 4, 0.5);
    fill(ln_left, 3, 0.4);
    fill(ln_right, 3, 0.4);
    fill(sig2, 40, 0.2);
    fill(in2, 33, 0.2);
    fill(sig3, kTokens * kTokenSignals, 0.15);
    fill(in3, kTokens * kTokenInputs, 0.3);
  }
};

struct KernelParams {
  double nh_state = -0.5 / (0.8 * 0.8), nh_task = -0.5 / (1.3 * 1.3), sf2 = 1.7;
};

// k(a_i, b_j), written out term by term.
Matrix kernel(const Points& a, const Points& b, const KernelParams& kp) {
  Matrix K(a.x.rows(), b.x.rows());
  for (std::int64_t i = 0; i < a.x.rows(); ++i)
    for (std::int64_t j = 0; j < b.x.rows(); ++j) {
      const double ds = (a.x.row(i).head(2) - b.x.row(j).head(2)).squaredNorm();
      const double dc = (a.x.row(i).tail(1) - b.x.row(j).tail(1)).squaredNorm();
      double k = kp.sf2 * std::exp(kp.nh_state * ds + kp.nh_task * dc);
      k += a.sig0.row(i).dot(b.sig0.row(j)) * (a.in0.row(i).dot(b.in0.row(j)) + 1.0);
      k += a.ln_left.row(i).dot(b.ln_left.row(j)) + a.ln_right.row(i).dot(b.ln_right.row(j));
      k += a.sig2.row(i).dot(b.sig2.row(j)) * (a.in2.row(i).dot(b.in2.row(j)) + 1.0);
      for (int s = 0; s < kTokens; ++s)  // token s of a_i, token t of b_j; no bias: + 0
        for (int t = 0; t < kTokens; ++t) {
          const auto delta = a.sig3.row(i).segment(s * kTokenSignals, kTokenSignals);
          const auto h = a.in3.row(i).segment(s * kTokenInputs, kTokenInputs);
          k += delta.dot(b.sig3.row(j).segment(t * kTokenSignals, kTokenSignals)) *
               h.dot(b.in3.row(j).segment(t * kTokenInputs, kTokenInputs));
        }
      K(i, j) = k;
    }
  return K;
}

struct Case {
  int P, T;
  std::int64_t M;
  int picks;       // conditioning points (0: no conditioning term)
  int groups = 0;  // feature groups of pairs, targets and picks (0: none)
};

// Zeroes K(i, j) where row_groups[i] != col_groups[j]: the kernel between feature groups.
void mask_groups(Matrix& K, const std::vector<std::int64_t>& row_groups, const std::vector<std::int64_t>& col_groups) {
  for (Eigen::Index i = 0; i < K.rows(); ++i)
    for (Eigen::Index j = 0; j < K.cols(); ++j)
      if (row_groups[i] != col_groups[j]) K(i, j) = 0.0;
}

class FusedCriterion : public ::testing::TestWithParam<Case> {};

TEST_P(FusedCriterion, MatchesTextbookFloat64) {
  const Case cs = GetParam();
  const int P = cs.P, T = cs.T, m = cs.picks;
  const std::int64_t M = cs.M;
  std::mt19937 rng(1000 * P + 10 * T + m);
  const Points cand(std::int64_t(P) * T, rng), targets(M, rng), picks(m, rng);
  const KernelParams kp;
  const double s2 = 0.05;

  // With groups, every kernel value between points of different groups is 0 (the CUDA backend
  // masks the picks' Grams before the kernel; the kernel masks its own tiles): pair q's rows
  // are in group q % groups, target z in (z / 3) % groups, pick i in i % groups.
  std::vector<std::int64_t> pair_groups, row_groups, target_groups, pick_groups;
  if (cs.groups > 0) {
    for (int q = 0; q < P; ++q) pair_groups.push_back(q % cs.groups);
    for (int r = 0; r < P * T; ++r) row_groups.push_back(pair_groups[r / T]);
    for (std::int64_t z = 0; z < M; ++z) target_groups.push_back((z / 3) % cs.groups);
    for (int i = 0; i < m; ++i) pick_groups.push_back(i % cs.groups);
  }
  auto gram = [&](const Points& a, const std::vector<std::int64_t>& ga, const Points& b,
                  const std::vector<std::int64_t>& gb) {
    Matrix K = kernel(a, b, kp);
    if (cs.groups > 0) mask_groups(K, ga, gb);
    return K;
  };

  // Conditioning on the picks: k_D(x, y) = k(x, y) - u(x) . u(y), u = Lp^-1 k(picks, .).
  Matrix Ux(m, P * T), Uz(m, M);
  if (m > 0) {
    Matrix Kp = gram(picks, pick_groups, picks, pick_groups);
    Kp.diagonal().array() += s2;
    const Eigen::LLT<Matrix> llt(Kp);
    Ux = llt.matrixL().solve(gram(picks, pick_groups, cand, row_groups));
    Uz = llt.matrixL().solve(gram(picks, pick_groups, targets, target_groups));
  }
  const Matrix Kxx = kernel(cand, cand, kp) - Ux.transpose() * Ux;  // within a pair: one group
  const Matrix Kxz = gram(cand, row_groups, targets, target_groups) - Ux.transpose() * Uz;
  const Matrix Kzz = kernel(targets, targets, kp) - Uz.transpose() * Uz;
  std::vector<double> prior(M), omega(M);
  std::uniform_real_distribution<double> u(0.1, 1.0);
  for (std::int64_t z = 0; z < M; ++z) {
    prior[z] = Kzz(z, z);
    omega[z] = u(rng);
  }
  const double floor = amf::tile::variance_floor(kp.sf2);

  // The kernel's inputs: G blocks, row-major factors (row r of pair q at q T + r), U as
  // row-major (points x m) blocks, i.e. the column-major m x n U the backends hold.
  std::vector<double> G(std::size_t(P) * T * T);
  for (int q = 0; q < P; ++q)
    for (int a = 0; a < T; ++a)
      for (int b = 0; b < T; ++b) G[q * T * T + a * T + b] = Kxx(q * T + a, q * T + b) + (a == b ? s2 : 0.0);
  std::vector<double> J(P, NAN), gain(P, NAN), jitter(P, NAN);
  FusedCriterionArgs args = amf::kernels::fused_args(G.data(), P, T, M, prior.data(), omega.data(), floor, J.data(),
                                                     gain.data(), jitter.data());
  args.rbf = {true, cand.x.data(), targets.x.data(), 2, 1, kp.nh_state, kp.nh_task, kp.sf2};
  auto factor = [&](const RowMatrix& c, const RowMatrix& z, int tokens = 1) {
    return amf::kernels::StreamFactor{c.data(), T * c.cols(), c.cols(), z.data(), z.cols(),
                                      static_cast<int>(c.cols() / tokens)};
  };
  args.terms[0] = {StreamTermKind::LinearLayer, 1.0, factor(cand.sig0, targets.sig0), factor(cand.in0, targets.in0)};
  args.terms[1] = {StreamTermKind::Product, 1.0, factor(cand.ln_left, targets.ln_left), {}};
  args.terms[2] = {StreamTermKind::Product, 1.0, factor(cand.ln_right, targets.ln_right), {}};
  args.terms[3] = {StreamTermKind::LinearLayer, 1.0, factor(cand.sig2, targets.sig2), factor(cand.in2, targets.in2)};
  args.terms[4] = {StreamTermKind::LinearLayer, 1.0, factor(cand.sig3, targets.sig3, kTokens),
                   factor(cand.in3, targets.in3, kTokens)};
  args.terms[4].tokens = kTokens;
  args.terms[4].bias = 0.0;
  args.num_terms = 5;
  const Matrix UxT = Ux.transpose(), UzT = Uz.transpose();  // column-major: row-major m-wide rows
  RowMatrix UxRows = UxT, UzRows = UzT;
  if (m > 0) args.terms[args.num_terms++] = {StreamTermKind::Product, -1.0, factor(UxRows, UzRows), {}};
  if (cs.groups > 0) {
    args.pair_groups = pair_groups.data();
    args.target_groups = target_groups.data();
  }
  run_fused_on_cpu(args);

  for (int q = 0; q < P; ++q) {
    Matrix Gq = Kxx.block(q * T, q * T, T, T);
    Gq.diagonal().array() += s2;
    const Eigen::LLT<Matrix> llt(Gq);
    ASSERT_EQ(llt.info(), Eigen::Success);
    const Matrix V = llt.matrixL().solve(Kxz.middleRows(q * T, T));
    double ref_j = 0, ref_g = 0;
    for (std::int64_t z = 0; z < M; ++z) {
      const double v = std::max(prior[z] - V.col(z).squaredNorm(), floor);
      ref_j += omega[z] * std::log(v);
      ref_g += omega[z] * 0.5 * std::log(prior[z] / v);
    }
    EXPECT_EQ(jitter[q], 0.0) << "pair " << q;
    EXPECT_NEAR(J[q], ref_j, 1e-10 * (1 + std::abs(ref_j))) << "pair " << q;
    EXPECT_NEAR(gain[q], ref_g, 1e-10 * (1 + std::abs(ref_g))) << "pair " << q;
    EXPECT_GT(gain[q], 0.0) << "observing a pair's own steps explains some target variance";
    if (cs.groups > 0) {  // the mask is what the textbook's is: the unmasked kernel gives another J
      const Matrix Vall = llt.matrixL().solve((kernel(cand, targets, kp) - Ux.transpose() * Uz).middleRows(q * T, T));
      double unmasked = 0;
      for (std::int64_t z = 0; z < M; ++z) unmasked += omega[z] * std::log(std::max(prior[z] - Vall.col(z).squaredNorm(), floor));
      EXPECT_GT(std::abs(unmasked - ref_j), 1e-6 * (1 + std::abs(ref_j))) << "pair " << q;
    }
  }
  expect_schedule_independent(args, J, gain, jitter);
}

// Full and partial blocks (pairs per block: 4 up to T = 16, then 64 / T), one and several
// target tiles (kTargetTile = 64) with a ragged last one, T from 1 to the 64 limit; each case
// mixes factors staged with 16-byte copies (even widths) and with 8-byte ones (odd widths).
INSTANTIATE_TEST_SUITE_P(Shapes, FusedCriterion,
                         ::testing::Values(Case{1, 1, 1, 0}, Case{3, 7, 37, 2}, Case{9, 7, 64, 0},
                                           Case{5, 50, 70, 3}, Case{3, 64, 33, 1}, Case{2, 64, 140, 2},
                                           Case{17, 16, 129, 4},
                                           // feature groups (parameter isolation): tiles masked in the kernel
                                           Case{9, 7, 70, 4, 3}, Case{6, 12, 37, 0, 2}, Case{2, 64, 140, 3, 2}),
                         [](const auto& info) {
                           const Case& c = info.param;
                           return "P" + std::to_string(c.P) + "_T" + std::to_string(c.T) + "_M" +
                                  std::to_string(c.M) + "_picks" + std::to_string(c.picks) +
                                  (c.groups ? "_groups" + std::to_string(c.groups) : std::string());
                         });

// A singular pair's Gram gets jitter (same escalation as tile::cholesky_with_jitter); a NaN one
// reports -1, which the host turns into an error; neither disturbs the other pairs of the block.
TEST(FusedCriterionJitter, SingularAndNanGramsAreReportedPerPair) {
  const int P = 3, T = 4;
  const std::int64_t M = 5;
  std::mt19937 rng(3);
  std::normal_distribution<double> g;
  RowMatrix X(P * T, 2), Z(M, 2);
  for (std::int64_t i = 0; i < X.size(); ++i) X.data()[i] = g(rng);
  for (std::int64_t i = 0; i < Z.size(); ++i) Z.data()[i] = g(rng);
  X.row(1) = X.row(0);  // pair 0: a repeated point, no noise: singular
  std::vector<double> G(P * T * T), prior(M, 3.0), omega(M, 1.0), J(P), gain(P), jitter(P);
  for (int q = 0; q < P; ++q)
    for (int a = 0; a < T; ++a)
      for (int b = 0; b < T; ++b)
        G[q * T * T + a * T + b] = X.row(q * T + a).dot(X.row(q * T + b)) + (q == 0 ? 0.0 : 0.1 * (a == b));
  G[2 * T * T + 5] = NAN;
  FusedCriterionArgs args = amf::kernels::fused_args(G.data(), P, T, M, prior.data(), omega.data(),
                                                     amf::tile::variance_floor(3.0), J.data(), gain.data(), jitter.data());
  args.terms[0] = {StreamTermKind::Product, 1.0, {X.data(), T * 2, 2, Z.data(), 2, 2}, {}};
  args.num_terms = 1;
  run_fused_on_cpu(args);
  EXPECT_GT(jitter[0], 0.0);
  EXPECT_TRUE(std::isfinite(J[0]));
  EXPECT_EQ(jitter[1], 0.0);
  EXPECT_TRUE(std::isfinite(J[1]));
  EXPECT_EQ(jitter[2], -1.0);
  expect_schedule_independent(args, J, gain, jitter);
}

// The term list the CUDA backend builds from loss-gradient features (core/fused_terms.hpp), run
// through the kernel, against the CPU backend's own Gram (gp/feature_gram.hpp): checks the
// mapping of Linear / LayerNorm layers, token sequences and embeddings onto kernel terms.
using amf_test::FeatureForm;
class FusedFeatureTerms : public ::testing::TestWithParam<FeatureForm> {};

TEST_P(FusedFeatureTerms, MatchTheCpuFeatureGram) {
  const FeatureForm form = GetParam();
  const int P = 5, T = 7;
  const std::int64_t M = 40;
  // R = P trajectories, N 2 candidates, K 4 targets: 4 P T = 140 target feature rows, of which
  // every third is used. Hidden width 40: three staging chunks.
  amf_test::OwnedFeatureProblem op(P, T, 2, 4, form, 11, 40);
  std::vector<std::int64_t> cand_rows(P * T), target_rows(M);
  for (int r = 0; r < P * T; ++r) cand_rows[r] = r;
  for (std::int64_t r = 0; r < M; ++r) target_rows[r] = 3 * r;
  const auto X = amf::detail::gather_features(op.problem.candidate_features, cand_rows);
  const auto Z = amf::detail::gather_features(op.problem.target_features, target_rows);
  const Matrix Kxx = amf::detail::feature_gram(X, X), Kxz = amf::detail::feature_gram(X, Z);
  const Matrix Kzz = amf::detail::feature_gram(Z, Z);
  const double s2 = op.problem.noise_variance;

  const amf::detail::FusedFeatureLayout layout = amf::detail::fused_layout(X, Z);
  const auto terms = amf::detail::fused_stream_terms(layout, T);
  // Linear, LayerNorm (2), Linear; one embedding; or embedding, Linear, LayerNorm (2), Linear, Linear
  const std::size_t expected_terms[] = {1u, 4u, 6u};
  ASSERT_EQ(terms.size(), expected_terms[static_cast<int>(form)]);

  std::vector<double> G(P * T * T), prior(M), omega(M, 0.5), J(P), gain(P), jitter(P);
  for (int q = 0; q < P; ++q)
    for (int a = 0; a < T; ++a)
      for (int b = 0; b < T; ++b) G[q * T * T + a * T + b] = Kxx(q * T + a, q * T + b) + (a == b ? s2 : 0.0);
  for (std::int64_t z = 0; z < M; ++z) prior[z] = Kzz(z, z);
  const double floor = amf::tile::variance_floor(Kzz.diagonal().maxCoeff());
  FusedCriterionArgs args = amf::kernels::fused_args(G.data(), P, T, M, prior.data(), omega.data(), floor, J.data(),
                                                     gain.data(), jitter.data());
  std::copy(terms.begin(), terms.end(), args.terms);
  args.num_terms = static_cast<int>(terms.size());
  run_fused_on_cpu(args);
  for (int q = 0; q < P; ++q) {
    Matrix Gq = Kxx.block(q * T, q * T, T, T);
    Gq.diagonal().array() += s2;
    const Matrix V = Eigen::LLT<Matrix>(Gq).matrixL().solve(Kxz.middleRows(q * T, T));
    double ref_j = 0;
    for (std::int64_t z = 0; z < M; ++z) ref_j += omega[z] * std::log(std::max(prior[z] - V.col(z).squaredNorm(), floor));
    EXPECT_NEAR(J[q], ref_j, 1e-10 * (1 + std::abs(ref_j))) << "pair " << q;
  }
  expect_schedule_independent(args, J, gain, jitter);
}

INSTANTIATE_TEST_SUITE_P(Forms, FusedFeatureTerms,
                         ::testing::Values(FeatureForm::Factorised, FeatureForm::Embedding, FeatureForm::Tokens),
                         [](const auto& info) { return std::string(amf_test::form_name(info.param)); });

TEST(BlockEmulator, BarriersOrderSharedMemoryPhases) {
  // Each thread writes its slot, then (after the barrier) reads its neighbour's: without the
  // barrier phases a sequential run would read the unwritten (NaN) slots.
  std::vector<double> seen(64);
  amf::emu::run_block(64, 64, [&](BlockThread th, double* sh) {
    sh[th.index] = th.index + 1.0;
    amf::block_sync();
    seen[th.index] = sh[(th.index + 1) % th.count];
  });
  for (int t = 0; t < 64; ++t) EXPECT_EQ(seen[t], (t + 1) % 64 + 1.0);
}

// The race detector itself: a missing barrier between a write and a neighbour's read makes the
// result depend on the schedule. In order, thread t reads slot t + 1 before its owner writes it
// (NaN) except thread 31, which reads slot 0; reversed, only thread 31 reads an unwritten slot.
TEST(BlockEmulator, AMissingBarrierShowsAsScheduleDependence) {
  using amf::emu::Schedule;
  auto unwritten_reads = [](Schedule schedule) {
    std::vector<double> seen(32);
    amf::emu::run_block(
        32, 32,
        [&](BlockThread th, double* sh) {
          sh[th.index] = th.index;
          seen[th.index] = sh[(th.index + 1) % th.count];  // no block_sync(): a race
        },
        {schedule, 0});
    return std::count_if(seen.begin(), seen.end(), [](double v) { return std::isnan(v); });
  };
  EXPECT_EQ(unwritten_reads(Schedule::InOrder), 31);
  EXPECT_EQ(unwritten_reads(Schedule::Reversed), 1);
  const auto shuffled = unwritten_reads(Schedule::Shuffled);
  EXPECT_GT(shuffled, 1);
  EXPECT_LT(shuffled, 31);
}

TEST(BlockEmulator, UnwrittenSharedMemoryReadsAsNaN) {
  double seen = 0;
  amf::emu::run_block(4, 8, [&](BlockThread th, double* sh) {
    if (th.index == 0) seen = sh[5];
  });
  EXPECT_TRUE(std::isnan(seen));
}

// wmma faults on fragments that are not 32-byte aligned; the emulator's portable MMA checks the
// same contract for pointers into shared memory.
TEST(BlockEmulator, MisalignedFragmentsAreAnError) {
  auto load_at = [](int offset, int ld) {
    amf::emu::run_block(32, 256, [&](BlockThread th, double* sh) {
      for (int e = th.index; e < 256; e += th.count) sh[e] = 1.0;
      amf::block_sync();
      amf::warp_mma::FragA a;
      amf::warp_mma::load_a(a, sh + offset, ld, th.index);
    });
  };
  EXPECT_NO_THROW(load_at(36, 8));
  EXPECT_THROW(load_at(2, 8), amf::Error);
  EXPECT_THROW(load_at(4, 7), amf::Error);
}

TEST(BlockEmulator, DivergentBarrierIsAnError) {
  EXPECT_THROW(amf::emu::run_block(8, 1,
                                   [](BlockThread th, double*) {
                                     if (th.index % 2 == 0) amf::block_sync();
                                   }),
               amf::Error);
}

TEST(BlockEmulator, ExceptionsReachTheCaller) {
  EXPECT_THROW(amf::emu::run_block(4, 1,
                                   [](BlockThread th, double*) {
                                     amf::block_sync();
                                     if (th.index == 2) throw amf::InvalidArgument("thread 2");
                                     amf::block_sync();
                                   }),
               amf::InvalidArgument);
}

}  // namespace
