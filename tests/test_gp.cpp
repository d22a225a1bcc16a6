// GP posterior and the conditioning state against the textbook GP (float64, direct inverse).
#include <gtest/gtest.h>

#include <random>

#include "amf/error.hpp"
#include "gp/gp_math.hpp"
#include "textbook_gp.hpp"

namespace {

using amf::detail::RowMatrix;
using amf_test::Mat;

RowMatrix random_points(int n, int dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  RowMatrix X(n, dim);
  for (int i = 0; i < X.size(); ++i) X.data()[i] = u(rng);
  return X;
}

const amf::KernelParams kParams{0.6, 0.8, 1.3};
const double kNoise = 0.05;
const amf_test::TextbookGp kRef{2, 0.6, 0.8, 1.3, kNoise};

TEST(GpPosterior, MeanAndVarianceMatchTextbook) {
  const RowMatrix X = random_points(30, 4, 1), P = random_points(11, 4, 2);
  const RowMatrix Y = random_points(30, 3, 3);
  const amf::detail::GpPosterior gp(amf::detail::RbfKernel(kParams, 2, 2), kNoise, X, Y);
  RowMatrix mean;
  Eigen::VectorXd var;
  gp.predict(P, &mean, &var);
  const Mat ref_mean = kRef.mean(X, Y, P);
  const Eigen::VectorXd ref_var = kRef.variance(X, P);
  EXPECT_LT((Mat(mean) - ref_mean).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((var - ref_var).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(ConditioningState, SchurComplementVarianceEqualsReconditioning) {
  // v(z | X) through k_D (posterior covariance given D) equals the variance of a GP
  // conditioned from scratch on D u X.
  const RowMatrix D = random_points(25, 4, 4), X = random_points(6, 4, 5), Z = random_points(9, 4, 6);
  const amf::detail::RbfKernel kernel(kParams, 2, 2);
  const amf::detail::ConditioningState state(kernel, kNoise, D);
  const Eigen::MatrixXd UX = state.project(X), UZ = state.project(Z);
  Eigen::MatrixXd kXX = kernel.gram(X, X) - UX.transpose() * UX;
  kXX.diagonal().array() += kNoise;
  const Eigen::MatrixXd kXZ = kernel.gram(X, Z) - UX.transpose() * UZ;
  const Eigen::MatrixXd kZZ = kernel.gram(Z, Z) - UZ.transpose() * UZ;
  const Eigen::VectorXd schur = (kZZ - kXZ.transpose() * kXX.inverse() * kXZ).diagonal();
  const Eigen::VectorXd fresh = kRef.variance(amf_test::vstack(D, X), Z);
  EXPECT_LT((schur - fresh).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(ConditioningState, ExtensionEqualsFactorisingTheEnlargedSet) {
  const RowMatrix D = random_points(20, 4, 7), X1 = random_points(5, 4, 8), X2 = random_points(3, 4, 9);
  const RowMatrix Z = random_points(7, 4, 10);
  const amf::detail::RbfKernel kernel(kParams, 2, 2);
  amf::detail::ConditioningState grown(kernel, kNoise, D);
  grown.extend(X1);
  grown.extend(X2);
  RowMatrix all(28, 4);
  all << D, X1, X2;
  const amf::detail::ConditioningState fresh(kernel, kNoise, all);
  EXPECT_LT((grown.factor() - fresh.factor()).cwiseAbs().maxCoeff(), 1e-10);
  const Eigen::VectorXd var = (kParams.signal_variance - grown.project(Z).colwise().squaredNorm().array()).matrix();
  EXPECT_LT((var - kRef.variance(all, Z)).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(RobustCholesky, JittersASingularMatrixAndRejectsNaN) {
  Eigen::MatrixXd A = Eigen::MatrixXd::Ones(3, 3);  // rank 1
  const Eigen::MatrixXd L = amf::detail::robust_cholesky(A, "test matrix");
  EXPECT_TRUE(L.allFinite());
  A(0, 0) = std::nan("");
  EXPECT_THROW(amf::detail::robust_cholesky(A, "test matrix"), amf::NumericalError);
}

}  // namespace
