#pragma once
// Internal Eigen-based GP building blocks shared by the CPU backend and the GP policy.
// Not installed: the public API speaks in plain arrays (view.hpp).
#include <Eigen/Dense>
#include <cstdint>

#include "amf/problem.hpp"

namespace amf {
namespace detail {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The RBF kernel of problem.hpp on points stored as rows [s..., c...].
struct RbfKernel {
  int state_dim;
  int task_dim;
  double neg_half_inv_ls2_state;
  double neg_half_inv_ls2_task;
  double signal_variance;

  RbfKernel(const KernelParams& params, int state_dim, int task_dim);
  double operator()(const double* x, const double* y) const;
  // k(A, B): A.rows() x B.rows().
  Eigen::MatrixXd gram(const RowMatrix& A, const RowMatrix& B) const;
};

// Lower Cholesky factor of a symmetric positive-definite matrix. When the factorisation fails,
// jitter scaled to the mean diagonal is added and multiplied by 10 per retry (with a warning);
// after the last retry amf::NumericalError names `what`.
Eigen::MatrixXd robust_cholesky(const Eigen::MatrixXd& A, const char* what);

// The conditioning set of a GP: points X and the factor L L^T = k(X, X) + noise I. It grows by
// block Cholesky extension (a rank-T update when T points arrive), never by refactorising.
class ConditioningState {
 public:
  ConditioningState(const RbfKernel& kernel, double noise_variance, RowMatrix points);

  // Adds points to the conditioning set: L grows by rows [B C] with B = k(new, X) L^-T and
  // C C^T = k(new, new) + noise I - B B^T.
  void extend(const RowMatrix& new_points);

  // U = L^-1 k(X, P) (size() x P.rows()), so that the posterior covariance is
  // k_D(p, q) = k(p, q) - U_p . U_q.
  Eigen::MatrixXd project(const RowMatrix& P) const;
  Eigen::MatrixXd project_gram(const Eigen::MatrixXd& k_xp) const;  // same from a given k(X, P)

  std::int64_t size() const { return points_.rows(); }
  const RowMatrix& points() const { return points_; }
  const Eigen::MatrixXd& factor() const { return factor_; }
  const RbfKernel& kernel() const { return kernel_; }
  double noise_variance() const { return noise_variance_; }

 private:
  RbfKernel kernel_;
  double noise_variance_;
  RowMatrix points_;
  Eigen::MatrixXd factor_;
};

// GP posterior with independent outputs sharing one kernel: targets Y (n x da).
class GpPosterior {
 public:
  GpPosterior(const RbfKernel& kernel, double noise_variance, RowMatrix X, const RowMatrix& Y);

  // Posterior mean (m x da) and latent variance (m) at the rows of P. Optionally returns
  // U = L^-1 k(X, P) so callers can reuse it for posterior covariances.
  void predict(const RowMatrix& P, RowMatrix* mean, Eigen::VectorXd* variance,
               Eigen::MatrixXd* U = nullptr) const;

  const ConditioningState& state() const { return state_; }
  const RowMatrix& alpha() const { return alpha_; }

 private:
  ConditioningState state_;
  RowMatrix alpha_;  // (K + noise I)^-1 Y
};

}  // namespace detail
}  // namespace amf
