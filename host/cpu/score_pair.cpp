#include "cpu/score_pair.hpp"

#include "amf/error.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {

double factor_conditional_gram(const double* G, double* L, int T) {
  const double jitter = tile::cholesky_with_jitter(G, L, T, T, 6);
  if (jitter < 0)
    throw NumericalError("criterion: the conditional Gram k_D(X, X) + noise I of a candidate is not positive "
                         "definite even with jitter (NaN in the inputs, or a zero noise variance?)");
  return jitter;
}

double score_pair(const RowMatrix& G, RowMatrix& C, const Eigen::VectorXd& prior, const std::vector<double>& omega,
                  double floor, double w, double* J, double* gain) {
  const int T = static_cast<int>(G.rows());
  RowMatrix L(T, T);
  const double jitter = factor_conditional_gram(G.data(), L.data(), T);
  const int ld = static_cast<int>(C.cols());
  double j_sum = 0, g_sum = 0;
  for (Eigen::Index z = 0; z < C.cols(); ++z) {
    double* col = C.data() + z;
    tile::forward_substitute(L.data(), T, T, col, ld);
    tile::add_log_variance_terms(prior(z), tile::squared_norm_strided(col, T, ld), floor, omega[z], &j_sum, &g_sum);
  }
  *J += w * j_sum;
  *gain += w * g_sum;
  return jitter;
}

void add_log_variance_sums(const double* prior, const double* explained, const double* omega, Eigen::Index M,
                           double floor, double* j, double* g) {
  const Eigen::Map<const Eigen::ArrayXd> p(prior, M), e(explained, M), w(omega, M);
  const auto clamped = p.max(floor);
  const auto v = (clamped - e).max(floor);
  *j += (w * v.log()).sum();
  if (g) *g += 0.5 * (w * (clamped / v).log()).sum();
}

}  // namespace detail
}  // namespace amf
