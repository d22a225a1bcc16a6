#pragma once
// The fused criterion kernel's arguments (fused_criterion.cuh): the pairs' Grams, the targets'
// prior variances and weights, and the cross-covariance as a sum of terms the kernel streams.
#include <cstdint>

namespace amf {
namespace kernels {

constexpr int kMaxStreamTerms = 24;

// One factor product: C(a, z) += <candidate row a of the pair, target row z> over `width`
// columns. Candidate row r of pair q at candidates + q * pair_stride + r * candidate_ld; target z
// at targets + z * target_ld (row-major, as the gathered features and U blocks are stored).
struct StreamFactor {
  const double* candidates = nullptr;
  std::int64_t pair_stride = 0, candidate_ld = 0;
  const double* targets = nullptr;
  std::int64_t target_ld = 0;
  int width = 0;
};

// Product: C += coef * first. LinearLayer: C += coef * first o (second + bias), the
// loss-gradient term of one Linear layer (first: back-propagated signals, second: layer inputs;
// tile::linear_layer_term; bias 1, or 0 for a layer without one). On a sequence of `tokens`
// tokens the factors' width is one token's and token u of a row starts u * width further: the
// term is summed over all token pairs (u of the candidate row, v of the target), each pair two
// more factor products. A Product term has tokens = 1.
enum class StreamTermKind : int { Product = 0, LinearLayer = 1 };

struct StreamTerm {
  StreamTermKind kind = StreamTermKind::Product;
  double coef = 1.0;
  StreamFactor first, second;
  int tokens = 1;
  double bias = 1.0;
};

// C += k_rbf(x_a, z) with x_a = points + (q T + a) * dim, z = targets + z * dim.
struct StreamRbf {
  bool present = false;
  const double* points = nullptr;
  const double* targets = nullptr;
  int state_dim = 0, task_dim = 0;
  double neg_half_inv_ls2_state = 0, neg_half_inv_ls2_task = 0, signal_variance = 0;
};

struct FusedCriterionArgs {
  const double* G = nullptr;  // P blocks of T x T (symmetric), block q at G + q T^2
  std::int64_t P = 0;
  int T = 0;
  std::int64_t M = 0;
  StreamRbf rbf;
  int num_terms = 0;
  StreamTerm terms[kMaxStreamTerms];
  const double* prior = nullptr;  // M: k_D(z, z)
  const double* omega = nullptr;  // M: target weights
  double floor = 0;
  double* J = nullptr;       // P: sum_z omega_z log v(z | X_q)
  double* gain = nullptr;    // P: sum_z omega_z log(prior_z / v) / 2
  double* jitter = nullptr;  // P: jitter the factor needed, -1 when none worked
  // Feature groups (parameter isolation), both or neither: C(x_a, z) is 0 where pair_groups[q]
  // (the group of pair q's candidate) differs from target_groups[z], whatever the terms give.
  const std::int64_t* pair_groups = nullptr;    // P
  const std::int64_t* target_groups = nullptr;  // M
};

// Args with the pairs' Grams, the targets' prior variances and weights, the log floor and the
// outputs set; the caller adds the cross-covariance terms (and the RBF term).
inline FusedCriterionArgs fused_args(const double* G, std::int64_t P, int T, std::int64_t M, const double* prior,
                                     const double* omega, double floor, double* J, double* gain, double* jitter) {
  FusedCriterionArgs a;
  a.G = G;
  a.P = P;
  a.T = T;
  a.M = M;
  a.prior = prior;
  a.omega = omega;
  a.floor = floor;
  a.J = J;
  a.gain = gain;
  a.jitter = jitter;
  return a;
}

}  // namespace kernels
}  // namespace amf
