#pragma once
// GP predictions at every pool state relabelled with a task c, in O(n R^2) per task instead of
// the O(n^3) of conditioning n new points. It exploits two facts of AMF-GP: the RBF kernel is a
// product k((s,c),(s',c')) = k_s(s,s') k_c(c,c'), and the task is constant within a trajectory
// (block). With A = (K + sigma^2 I)^-1 and e_c[b] = k_c(c, task of block b):
//   mean(s_p, c) = sum_b e_c[b] m_p[b],          m_p[b] = sum_{j in b} k_s(s_p, s_j) alpha_j
//   var(s_p, c)  = sf2 - sum_{b,b'} e_c[b] e_c[b'] Q_p[b,b'],
//                  Q_p[b,b'] = sum_{j in b, l in b'} k_s(s_p,s_j) A_jl k_s(s_p,s_l)
// m and Q are built once per GP (O(n^3) as GEMMs); exact, checked against direct prediction.
#include <cstdint>

#include "prep/pool_data.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

class RelabelledPredictor {
 public:
  RelabelledPredictor(const GpPosterior& gp, const PoolData& pool, const KernelParams& params, int threads);

  // Mean (n x da) and latent variance (n) at (s_p, task) for every pool step p, pool order.
  void predict(const double* task, RowMatrix* mean, Eigen::VectorXd* variance) const;

  // Whether the n R^2 tables fit a memory budget (bytes); otherwise predict directly.
  static bool fits(std::int64_t n, std::int64_t R, std::int64_t budget_bytes);

 private:
  const PoolData& pool_;
  KernelParams params_;
  std::int64_t R_;
  Eigen::MatrixXd Q_;  // (n R) x R: row p R + b holds Q_p[b, :]
  RowMatrix m_;        // (n R) x da: row p R + b holds m_p[b]
};

}  // namespace detail
}  // namespace amf
