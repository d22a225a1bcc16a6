#include "cpu/feature_targets.hpp"

#include "core/greedy_pick.hpp"
#include "cpu/importance_weights.hpp"
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

// Per trajectory: the clipped sum of own_logp over its steps.
Eigen::VectorXd own_sums(const FeatureCriterionProblem& p) {
  const auto& off = p.traj_offsets;
  const std::int64_t R = off.size - 1;
  Eigen::VectorXd own = Eigen::VectorXd::Zero(R);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t t = off[i]; t < off[i + 1]; ++t) own(i) += tile::clamp(p.own_logp[t], p.clip.lo, p.clip.hi);
  return own;
}

}  // namespace

RowMatrix candidate_importance_weights(const FeatureCriterionProblem& p) {
  return weights_from_logp(p.candidate_logp, p.traj_offsets, own_sums(p), p.clip);
}

FeatureTargets feature_targets(const FeatureCriterionProblem& p, int threads) {
  const auto& off = p.traj_offsets;
  const std::int64_t R = off.size - 1, n = off[R], K = p.target_logp.rows;
  const Eigen::VectorXd own = own_sums(p);
  FeatureTargets out;
  out.candidate_weights = weights_from_logp(p.candidate_logp, off, own, p.clip);
  const RowMatrix Wt = weights_from_logp(p.target_logp, off, own, p.clip);
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < R; ++j) {
      if (!(p.target_probs[k] > 0 && keep_weight(Wt.row(k).data(), R, j, p.min_weight))) continue;
      const double w = p.target_probs[k] * Wt(k, j) / static_cast<double>(off[j + 1] - off[j]);
      for (std::int64_t t = off[j]; t < off[j + 1]; ++t) {
        out.rows.push_back(k * n + t);
        out.omega.push_back(w);
      }
    }
  out.prior = feature_diagonal(p.target_features, out.rows, threads);
  return out;
}

std::vector<std::int64_t> candidate_rows(const FeatureCriterionProblem& p, std::int64_t c, std::int64_t i) {
  std::vector<std::int64_t> rows;
  for (std::int64_t t = p.traj_offsets[i]; t < p.traj_offsets[i + 1]; ++t) rows.push_back(candidate_feature_row(p, c, t));
  return rows;
}

bool finish_feature_pass(int pass, bool select, const std::vector<double>& J, const std::vector<double>& gain,
                         const FeatureCriterionProblem& p, const RowMatrix& candidate_weights,
                         CriterionResult& result, std::vector<std::int64_t>& picked_rows) {
  if (pass == 0) {
    result.J = J;
    result.info_gain = gain;
  }
  if (!select) return false;
  const auto& off = p.traj_offsets;
  const std::int64_t R = off.size - 1;
  const GreedyPick pick = record_greedy_pick(J, candidate_weights.data(), R, result);
  const auto rows = candidate_rows(p, pick.candidate, pick.trajectory);
  picked_rows.insert(picked_rows.end(), rows.begin(), rows.end());
  return true;
}

}  // namespace detail

std::vector<CandidatePair> kept_candidate_pairs(const FeatureCriterionProblem& p) {
  detail::validate_weight_inputs(p);
  const detail::RowMatrix W = detail::candidate_importance_weights(p);
  return detail::kept_pairs(W.data(), W.rows(), W.cols(), p.min_weight);
}

}  // namespace amf
