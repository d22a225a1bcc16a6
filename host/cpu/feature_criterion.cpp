// AMF-NN's criterion from caller-supplied log-probabilities and features: importance weights and
// target occupancy as for AMF-GP, k_D = the feature kernel conditioned on this batch's picks.
#include "cpu/feature_criterion.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "cpu/feature_targets.hpp"
#include "cpu/parallel.hpp"
#include "cpu/score_pair.hpp"
#include "cpu/target_occupancy.hpp"
#include "gp/feature_gram.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {

CriterionResult feature_criterion_cpu(const FeatureCriterionProblem& p, bool select, int threads) {
  const auto& off = p.traj_offsets;
  const std::int64_t R = off.size - 1, n = off[R], N = p.candidate_logp.rows;
  const FeatureTargets targets = feature_targets(p);
  const RowMatrix& Wc = targets.candidate_weights;
  const std::vector<std::int64_t>& zrows = targets.rows;
  const std::vector<double>& omega = targets.omega;
  const Eigen::VectorXd& kzz = targets.prior;
  const GatheredFeatures Z = gather_features(p.target_features, zrows);  // once, for every pair
  const double floor = tile::variance_floor(kzz.size() ? kzz.maxCoeff() : 1.0);

  CriterionResult result;
  result.weights.assign(Wc.data(), Wc.data() + Wc.size());
  result.num_target_points = static_cast<std::int64_t>(zrows.size());
  std::vector<std::int64_t> picked_rows;  // rows of candidate_features of this batch's pseudo-demonstrations
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    // k_D given the picks: k(a, b) - k(a, Xp) (k(Xp, Xp) + sigma^2 I)^-1 k(Xp, b), via U = Lp^-1 k(Xp, .).
    const std::int64_t m = static_cast<std::int64_t>(picked_rows.size());
    Eigen::MatrixXd Lp;
    RowMatrix UZ(m, static_cast<Eigen::Index>(zrows.size()));
    const GatheredFeatures Xp = gather_features(p.candidate_features, picked_rows);
    if (m > 0) {
      Eigen::MatrixXd Kpp = feature_gram(Xp, Xp);
      Kpp.diagonal().array() += p.noise_variance;
      Lp = robust_cholesky(Kpp, "the conditioning Gram of this batch's picks");
      UZ = feature_gram(Xp, Z);
      Lp.triangularView<Eigen::Lower>().solveInPlace(UZ);
    }
    const Eigen::VectorXd prior = m > 0 ? Eigen::VectorXd(kzz - UZ.colwise().squaredNorm().transpose()) : kzz;

    std::vector<double> J(N, 0.0), gain(N, 0.0);
    std::atomic<int> jittered{0};
    parallel_for(N, threads, [&](std::int64_t c) {
      for (std::int64_t i = 0; i < R; ++i) {
        const double w = Wc(c, i);
        if (w == 0.0 || !keep_weight(Wc.row(c).data(), R, i, p.min_weight)) continue;
        const GatheredFeatures X = gather_features(p.candidate_features, candidate_rows(c, n, off[i], off[i + 1]));
        RowMatrix G = feature_gram(X, X);
        RowMatrix C = feature_gram(X, Z);
        if (m > 0) {
          RowMatrix UX = feature_gram(Xp, X);
          Lp.triangularView<Eigen::Lower>().solveInPlace(UX);
          G -= UX.transpose() * UX;
          C -= UX.transpose() * UZ;
        }
        G.diagonal().array() += p.noise_variance;
        if (score_pair(G, C, prior, omega, floor, w, &J[c], &gain[c]) > 0) ++jittered;
      }
    });
    if (jittered > 0) spdlog::warn("amf: {} candidate conditional Grams needed diagonal jitter", jittered.load());
    if (!finish_feature_pass(b, select, J, gain, p, Wc, result, picked_rows)) break;
  }
  return result;
}

}  // namespace detail
}  // namespace amf
