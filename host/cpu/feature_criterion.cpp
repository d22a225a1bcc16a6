// AMF-NN's criterion from caller-supplied log-probabilities and features: importance weights and
// target occupancy as for AMF-GP, k_D = the feature kernel conditioned on this batch's picks.
#include "cpu/feature_criterion.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "core/greedy_pick.hpp"
#include "cpu/importance_weights.hpp"
#include "cpu/parallel.hpp"
#include "cpu/score_pair.hpp"
#include "cpu/target_occupancy.hpp"
#include "gp/feature_gram.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

// Softmax over trajectories of the clipped per-trajectory log-likelihood differences.
RowMatrix weights_from_logp(const MatrixView<double>& logp, const VectorView<std::int64_t>& off,
                            const Eigen::VectorXd& own, const LogProbClip& clip) {
  const std::int64_t R = off.size - 1;
  RowMatrix W(logp.rows, R);
  for (std::int64_t c = 0; c < logp.rows; ++c) {
    for (std::int64_t i = 0; i < R; ++i) {
      double s = 0;
      for (std::int64_t t = off[i]; t < off[i + 1]; ++t) s += tile::clamp(logp(c, t), clip.lo, clip.hi);
      W(c, i) = s - own(i);
    }
    softmax_in_place(W.row(c).data(), R);
  }
  return W;
}

std::vector<std::int64_t> rows_of(std::int64_t task, std::int64_t n, std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> rows;
  for (std::int64_t t = begin; t < end; ++t) rows.push_back(task * n + t);
  return rows;
}

}  // namespace

CriterionResult feature_criterion_cpu(const FeatureCriterionProblem& p, bool select, int threads) {
  const auto& off = p.traj_offsets;
  const std::int64_t R = off.size - 1, n = off[R], N = p.candidate_logp.rows, K = p.target_logp.rows;
  Eigen::VectorXd own = Eigen::VectorXd::Zero(R);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t t = off[i]; t < off[i + 1]; ++t) own(i) += tile::clamp(p.own_logp[t], p.clip.lo, p.clip.hi);
  const RowMatrix Wc = weights_from_logp(p.candidate_logp, off, own, p.clip);
  const RowMatrix Wt = weights_from_logp(p.target_logp, off, own, p.clip);

  // Target occupancy: rows of target_features and their weights.
  std::vector<std::int64_t> zrows;
  std::vector<double> omega;
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < R; ++j) {
      if (!(p.target_probs[k] > 0 && keep_weight(Wt.row(k).data(), R, j, p.min_weight))) continue;
      const double w = p.target_probs[k] * Wt(k, j) / static_cast<double>(off[j + 1] - off[j]);
      for (std::int64_t t = off[j]; t < off[j + 1]; ++t) {
        zrows.push_back(k * n + t);
        omega.push_back(w);
      }
    }
  const Eigen::VectorXd kzz = feature_diagonal(p.target_features, zrows);
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
        const GatheredFeatures X = gather_features(p.candidate_features, rows_of(c, n, off[i], off[i + 1]));
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
    if (b == 0) {
      result.J = J;
      result.info_gain = gain;
    }
    if (!select) break;
    const GreedyPick pick = record_greedy_pick(J, Wc.data(), R, result);
    const auto rows = rows_of(pick.candidate, n, off[pick.trajectory], off[pick.trajectory + 1]);
    picked_rows.insert(picked_rows.end(), rows.begin(), rows.end());
  }
  return result;
}

}  // namespace detail
}  // namespace amf
