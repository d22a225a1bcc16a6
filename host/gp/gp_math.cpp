#include "gp/gp_math.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {

RbfKernel::RbfKernel(const KernelParams& params, int state_dim_, int task_dim_)
    : state_dim(state_dim_),
      task_dim(task_dim_),
      neg_half_inv_ls2_state(-0.5 / (params.state_lengthscale * params.state_lengthscale)),
      neg_half_inv_ls2_task(-0.5 / (params.task_lengthscale * params.task_lengthscale)),
      signal_variance(params.signal_variance) {}

double RbfKernel::operator()(const double* x, const double* y) const {
  return tile::rbf_state_task(x, y, state_dim, task_dim, neg_half_inv_ls2_state,
                              neg_half_inv_ls2_task, signal_variance);
}

Eigen::MatrixXd RbfKernel::gram(const RowMatrix& A, const RowMatrix& B) const {
  Eigen::MatrixXd K(A.rows(), B.rows());
  for (Eigen::Index j = 0; j < B.rows(); ++j)
    for (Eigen::Index i = 0; i < A.rows(); ++i) K(i, j) = (*this)(A.row(i).data(), B.row(j).data());
  return K;
}

Eigen::MatrixXd robust_cholesky(const Eigen::MatrixXd& A, const char* what) {
  // Eigen's LLT lets NaN through (NaN <= 0 is false), so non-finite input is rejected here.
  if (!A.allFinite())
    throw NumericalError(std::string("Cholesky of ") + what + ": the matrix contains NaN or Inf");
  Eigen::LLT<Eigen::MatrixXd> llt(A);
  if (llt.info() == Eigen::Success) return llt.matrixL();
  const double mean_diag = A.rows() > 0 ? A.diagonal().mean() : 1.0;
  double jitter = 1e-10 * (mean_diag > 0 ? mean_diag : 1.0);
  for (int attempt = 0; attempt < 6; ++attempt, jitter *= 10) {
    Eigen::MatrixXd B = A;
    B.diagonal().array() += jitter;
    llt.compute(B);
    if (llt.info() == Eigen::Success) {
      spdlog::warn("amf: Cholesky of {} needed jitter {:.3g} on the diagonal", what, jitter);
      return llt.matrixL();
    }
  }
  throw NumericalError(std::string("Cholesky of ") + what +
                       " failed: the matrix is not positive definite even with jitter " +
                       std::to_string(jitter / 10) + " (check for NaN or a zero noise variance)");
}

ConditioningState::ConditioningState(const RbfKernel& kernel, double noise_variance,
                                     RowMatrix points)
    : kernel_(kernel), noise_variance_(noise_variance), points_(std::move(points)) {
  Eigen::MatrixXd K = kernel_.gram(points_, points_);
  K.diagonal().array() += noise_variance_;
  factor_ = robust_cholesky(K, "the GP conditioning Gram k(X, X) + noise I");
}

void ConditioningState::extend(const RowMatrix& new_points) {
  const Eigen::Index n = points_.rows();
  const Eigen::Index t = new_points.rows();
  if (t == 0) return;
  // B^T = L^-1 k(X, new): the new rows of L left of the diagonal block.
  Eigen::MatrixXd Bt = project(new_points);
  Eigen::MatrixXd S = kernel_.gram(new_points, new_points);
  S.diagonal().array() += noise_variance_;
  S.noalias() -= Bt.transpose() * Bt;
  Eigen::MatrixXd C = robust_cholesky(S, "the Schur complement of a conditioning update");

  Eigen::MatrixXd grown = Eigen::MatrixXd::Zero(n + t, n + t);
  grown.topLeftCorner(n, n) = factor_;
  grown.bottomLeftCorner(t, n) = Bt.transpose();
  grown.bottomRightCorner(t, t) = C;
  factor_ = std::move(grown);

  RowMatrix all(n + t, points_.cols());
  all.topRows(n) = points_;
  all.bottomRows(t) = new_points;
  points_ = std::move(all);
}

Eigen::MatrixXd ConditioningState::project(const RowMatrix& P) const {
  return project_gram(kernel_.gram(points_, P));
}

Eigen::MatrixXd ConditioningState::project_gram(const Eigen::MatrixXd& k_xp) const {
  Eigen::MatrixXd U = k_xp;
  factor_.triangularView<Eigen::Lower>().solveInPlace(U);
  return U;
}

GpPosterior::GpPosterior(const RbfKernel& kernel, double noise_variance, RowMatrix X,
                         const RowMatrix& Y)
    : state_(kernel, noise_variance, std::move(X)) {
  const auto& L = state_.factor();
  Eigen::MatrixXd a = Y;
  L.triangularView<Eigen::Lower>().solveInPlace(a);
  L.transpose().triangularView<Eigen::Upper>().solveInPlace(a);
  alpha_ = a;
}

void GpPosterior::predict(const RowMatrix& P, RowMatrix* mean, Eigen::VectorXd* variance,
                          Eigen::MatrixXd* U) const {
  const Eigen::MatrixXd k_xp = state_.kernel().gram(state_.points(), P);
  if (mean) *mean = k_xp.transpose() * alpha_;
  if (variance || U) {
    Eigen::MatrixXd u = state_.project_gram(k_xp);
    if (variance) {
      *variance = (state_.kernel().signal_variance - u.colwise().squaredNorm().array()).matrix();
      // Rounding can make a tiny variance negative; the true value is >= 0.
      *variance = variance->cwiseMax(0.0);
    }
    if (U) *U = std::move(u);
  }
}

}  // namespace detail
}  // namespace amf
