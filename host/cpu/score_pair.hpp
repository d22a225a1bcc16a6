#pragma once
// The per-(candidate, trajectory) tile of the criterion on the CPU, shared by the GP and the
// feature (AMF-NN) paths: factor G = k_D(X, X) + sigma^2 I (jitter escalation), solve against
// C = k_D(X, Z) column by column, and add w * sum_z omega_z log v(z | X) to J (and the
// information gain). The same tile functions as the CUDA kernel.
#include <vector>

#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// Factors G (T x T row-major, noise on its diagonal) into L with jitter escalation; returns the
// jitter it needed, throws NumericalError when no jitter helps.
double factor_conditional_gram(const double* G, double* L, int T);

// G: T x T (noise on its diagonal), C: T x M (overwritten), prior: M conditional variances before
// X, omega: M weights. Returns the jitter the factorisation needed; throws NumericalError when no
// jitter helps.
double score_pair(const RowMatrix& G, RowMatrix& C, const Eigen::VectorXd& prior, const std::vector<double>& omega,
                  double floor, double w, double* J, double* gain);

// out(z) = sum_t A(t, z)^2: the squared norm of each column of a solved T x M block, row by row
// (each row contiguous in the row-major blocks the CPU sessions solve).
template <typename Block>
void squared_column_norms(const Block& A, Eigen::ArrayXd& out) {
  out = A.row(0).array().square();
  for (Eigen::Index t = 1; t < A.rows(); ++t) out += A.row(t).array().square();
}

// One pair's terms over all M target points at once, vectorised: adds sum_z omega_z log v_z to *j
// and, unless g is null, sum_z omega_z / 2 log(p_z / v_z) to *g, with p = max(prior, floor) and
// v = max(p - explained, floor) (tile::add_log_variance_terms's rule, summed in another order).
void add_log_variance_sums(const double* prior, const double* explained, const double* omega, Eigen::Index M,
                           double floor, double* j, double* g);

}  // namespace detail
}  // namespace amf
