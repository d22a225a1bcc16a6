// The per-tile math the CUDA kernels run, checked on the CPU against Eigen (float64).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

#include "tile_math.cuh"

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMatrix random_spd(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  RowMatrix B(n, n + 3);
  for (int i = 0; i < B.size(); ++i) B.data()[i] = g(rng);
  RowMatrix A = B * B.transpose();
  A.diagonal().array() += 1e-3;
  return A;
}

class TileSizes : public ::testing::TestWithParam<int> {};

TEST_P(TileSizes, CholeskyMatchesEigen) {
  const int n = GetParam();
  RowMatrix A = random_spd(n, 1 + n);
  RowMatrix L = A;
  ASSERT_TRUE(amf::tile::cholesky_lower(L.data(), n, n));
  const Eigen::MatrixXd ref = Eigen::LLT<Eigen::MatrixXd>(A).matrixL();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) EXPECT_NEAR(L(i, j), ref(i, j), 1e-10 * (1 + std::abs(ref(i, j))));
}

TEST_P(TileSizes, ForwardSubstitutionOnStridedColumnsMatchesEigen) {
  const int n = GetParam(), m = 5;
  RowMatrix L = random_spd(n, 7 + n);
  ASSERT_TRUE(amf::tile::cholesky_lower(L.data(), n, n));
  RowMatrix B = RowMatrix::Random(n, m), X = B;
  for (int z = 0; z < m; ++z) amf::tile::forward_substitute(L.data(), n, n, X.data() + z, m);
  const Eigen::MatrixXd Lfull = L.triangularView<Eigen::Lower>();
  const Eigen::MatrixXd ref = Lfull.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd(B));
  EXPECT_LT((Eigen::MatrixXd(X) - ref).norm(), 1e-9 * (1 + ref.norm()));
  for (int z = 0; z < m; ++z)
    EXPECT_NEAR(amf::tile::squared_norm_strided(X.data() + z, n, m), ref.col(z).squaredNorm(),
                1e-9 * (1 + ref.col(z).squaredNorm()));
}

INSTANTIATE_TEST_SUITE_P(Sizes, TileSizes, ::testing::Values(1, 2, 7, 33, 64));

TEST(TileMath, CholeskyReportsIndefiniteAndNaN) {
  double A[4] = {1, 2, 2, 1};  // eigenvalues 3 and -1
  EXPECT_FALSE(amf::tile::cholesky_lower(A, 2, 2));
  double B[1] = {std::nan("")};
  EXPECT_FALSE(amf::tile::cholesky_lower(B, 1, 1));
}

// The Linear-layer term of the loss-gradient kernel equals the inner product of the explicit
// per-sample gradients [delta (x) h, delta] (weights, then bias).
TEST(TileMath, LinearLayerTermIsTheExplicitGradientInnerProduct) {
  const double d1[2] = {0.3, -1.2}, h1[3] = {0.5, 2.0, -0.7}, d2[2] = {-0.4, 0.9}, h2[3] = {1.5, -0.2, 0.8};
  double explicit_product = 0, s = 0, h = 0;
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 3; ++i) explicit_product += d1[o] * h1[i] * d2[o] * h2[i];
    explicit_product += d1[o] * d2[o];
    s += d1[o] * d2[o];
  }
  for (int i = 0; i < 3; ++i) h += h1[i] * h2[i];
  EXPECT_NEAR(amf::tile::linear_layer_term(s, h), explicit_product, 1e-15);
}

TEST(TileMath, GaussianLogProbMatchesFormula) {
  const double a[2] = {0.3, -0.1}, mu[2] = {0.1, 0.2}, var = 0.04;
  const double expected = -0.5 * ((0.2 * 0.2 + 0.3 * 0.3) / var) - std::log(2 * M_PI * var);
  EXPECT_NEAR(amf::tile::isotropic_gaussian_log_prob(a, mu, 2, var), expected, 1e-12);
}

TEST(TileMath, RbfUsesSeparateLengthscales) {
  const double x[3] = {0, 0, 0}, y[3] = {1, 0, 2};  // state dim 2, task dim 1
  const double v = amf::tile::rbf_state_task(x, y, 2, 1, -0.5 / 4.0, -0.5 / 9.0, 2.0);
  EXPECT_NEAR(v, 2.0 * std::exp(-1.0 / 8.0 - 4.0 / 18.0), 1e-14);
}

}  // namespace

namespace {

TEST(TileMath, CholeskyWithJitterRescuesASingularMatrixAndReportsFailure) {
  double A[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, L[9];  // rank 1: needs jitter
  const double jitter = amf::tile::cholesky_with_jitter(A, L, 3, 3, 6);
  EXPECT_GT(jitter, 0.0);
  for (double v : L) EXPECT_TRUE(std::isfinite(v));
  double B[4] = {1, 2, 2, 1};  // indefinite: jitter of this size cannot help
  EXPECT_EQ(amf::tile::cholesky_with_jitter(B, L, 2, 2, 6), -1.0);
  double C[4] = {4, 2, 2, 3};
  EXPECT_EQ(amf::tile::cholesky_with_jitter(C, L, 2, 2, 6), 0.0);
  EXPECT_DOUBLE_EQ(L[0], 2.0);
}

}  // namespace

TEST(TileMath, LogVarianceTermsAreTheCriterionsPerTargetSumsWithFloors) {
  double j = 1.0, g = 2.0;  // accumulates onto what is there
  amf::tile::add_log_variance_terms(4.0, 3.0, 1e-9, 0.5, &j, &g);  // v = 1
  EXPECT_NEAR(j, 1.0 + 0.5 * std::log(1.0), 1e-15);
  EXPECT_NEAR(g, 2.0 + 0.5 * 0.5 * std::log(4.0), 1e-15);
  j = g = 0;  // explained beyond the prior (rounding): v is floored, never log of <= 0
  amf::tile::add_log_variance_terms(1.0, 1.5, 1e-9, 1.0, &j, &g);
  EXPECT_DOUBLE_EQ(j, std::log(1e-9));
  EXPECT_DOUBLE_EQ(g, 0.5 * std::log(1.0 / 1e-9));
  j = g = 0;  // a prior below the floor is raised to it first
  amf::tile::add_log_variance_terms(0.0, 0.0, 1e-9, 1.0, &j, &g);
  EXPECT_DOUBLE_EQ(j, std::log(1e-9));
  EXPECT_DOUBLE_EQ(g, 0.0);
}
