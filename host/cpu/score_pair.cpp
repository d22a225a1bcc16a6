#include "cpu/score_pair.hpp"

#include <algorithm>
#include <cmath>

#include "amf/error.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {

double score_pair(const RowMatrix& G, RowMatrix& C, const Eigen::VectorXd& prior, const std::vector<double>& omega,
                  double floor, double w, double* J, double* gain) {
  const int T = static_cast<int>(G.rows());
  RowMatrix L(T, T);
  const double jitter = tile::cholesky_with_jitter(G.data(), L.data(), T, T, 6);
  if (jitter < 0)
    throw NumericalError("criterion: the conditional Gram k_D(X, X) + noise I of a candidate is not positive "
                         "definite even with jitter (NaN in the inputs, or a zero noise variance?)");
  const int ld = static_cast<int>(C.cols());
  double j_sum = 0, g_sum = 0;
  for (Eigen::Index z = 0; z < C.cols(); ++z) {
    double* col = C.data() + z;
    tile::forward_substitute(L.data(), T, T, col, ld);
    const double p = std::max(prior(z), floor);
    const double v = std::max(p - tile::squared_norm_strided(col, T, ld), floor);
    j_sum += omega[z] * std::log(v);
    g_sum += omega[z] * 0.5 * std::log(p / v);
  }
  *J += w * j_sum;
  *gain += w * g_sum;
  return jitter;
}

}  // namespace detail
}  // namespace amf
