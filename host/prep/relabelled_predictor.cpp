#include "prep/relabelled_predictor.hpp"

#include <algorithm>
#include <cmath>

#include "prep/parallel.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {

bool RelabelledPredictor::fits(std::int64_t n, std::int64_t R, std::int64_t budget_bytes) {
  return static_cast<double>(n) * R * (R + 4) * 8.0 <= static_cast<double>(budget_bytes);
}

RelabelledPredictor::RelabelledPredictor(const GpPosterior& gp, const PoolData& pool, const KernelParams& params,
                                         int threads)
    : pool_(pool), params_(params), R_(pool.num_trajectories()) {
  const std::int64_t n = pool.X.rows(), R = R_, da = pool.action_dim;
  const int ds = pool.state_dim;
  const double a = -0.5 / (params.state_lengthscale * params.state_lengthscale);

  // State-only Gram with the signal variance folded in: k(x_p, x_j) = Ks(p, j) e_c[block j].
  Eigen::MatrixXd Ks(n, n);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t p = 0; p < n; ++p)
      Ks(p, j) = params.signal_variance * std::exp(a * tile::squared_distance(pool.X.row(p).data(), pool.X.row(j).data(), ds));

  // A = (K + sigma^2 I)^-1 = L^-T L^-1.
  Eigen::MatrixXd Linv = Eigen::MatrixXd::Identity(n, n);
  gp.state().factor().triangularView<Eigen::Lower>().solveInPlace(Linv);
  const Eigen::MatrixXd A = Linv.transpose() * Linv;
  const RowMatrix& alpha = gp.alpha();

  Q_.resize(n * R, R);
  m_.resize(n * R, da);
  constexpr std::int64_t kChunk = 64;
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(chunks, threads, [&](std::int64_t chunk) {
    const std::int64_t p0 = chunk * kChunk, P = std::min(kChunk, n - p0);
    for (std::int64_t b2 = 0; b2 < R; ++b2) {
      const std::int64_t o2 = pool.offsets[b2], T2 = pool.steps(b2);
      // Y = A[:, block b2] Ks[chunk, block b2]^T: column p holds sum_{l in b2} A_jl Ks(p, l).
      const Eigen::MatrixXd Y = A.middleCols(o2, T2) * Ks.block(p0, o2, P, T2).transpose();
      for (std::int64_t q = 0; q < P; ++q)
        for (std::int64_t b = 0; b < R; ++b) {
          const std::int64_t o = pool.offsets[b], T = pool.steps(b);
          Q_((p0 + q) * R + b, b2) = Ks.row(p0 + q).segment(o, T).dot(Y.col(q).segment(o, T));
        }
    }
    for (std::int64_t q = 0; q < P; ++q)
      for (std::int64_t b = 0; b < R; ++b) {
        const std::int64_t o = pool.offsets[b], T = pool.steps(b);
        m_.row((p0 + q) * R + b) = Ks.row(p0 + q).segment(o, T) * alpha.middleRows(o, T);
      }
  });
}

void RelabelledPredictor::predict(const double* task, RowMatrix* mean, Eigen::VectorXd* variance) const {
  const std::int64_t n = pool_.X.rows(), R = R_;
  const int ds = pool_.state_dim, dc = pool_.task_dim;
  const double a = -0.5 / (params_.task_lengthscale * params_.task_lengthscale);
  Eigen::VectorXd e(R);
  for (std::int64_t b = 0; b < R; ++b)
    e(b) = std::exp(a * tile::squared_distance(task, pool_.X.row(pool_.offsets[b]).data() + ds, dc));
  const Eigen::VectorXd Qe = Q_ * e;  // (n R)
  mean->resize(n, pool_.action_dim);
  variance->resize(n);
  for (std::int64_t p = 0; p < n; ++p) {
    mean->row(p) = e.transpose() * m_.middleRows(p * R, R);
    const double v = params_.signal_variance - e.dot(Qe.segment(p * R, R));
    (*variance)(p) = std::max(v, 0.0);  // rounding can dip below the true value >= 0
  }
}

}  // namespace detail
}  // namespace amf
