#include "prep/feature_targets.hpp"

#include <algorithm>
#include <numeric>
#include <type_traits>

#include "core/resolve_views.hpp"
#include "prep/importance_weights.hpp"
#include "prep/target_occupancy.hpp"
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
  const VectorView<double> own_logp = p.own_logp.host_vector("own_logp");
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t t = off[i]; t < off[i + 1]; ++t) own(i) += tile::clamp(own_logp[t], p.clip.lo, p.clip.hi);
  return own;
}

}  // namespace

RowMatrix candidate_importance_weights(const FeatureCriterionProblem& p) {
  return weights_from_logp(p.candidate_logp.host_matrix("candidate_logp"), p.traj_offsets, own_sums(p), p.clip);
}

namespace {

// Calls visit(k, t, omega) for every point of the target occupancy, in (k, t) order: the steps of
// the trajectories min_weight keeps for each target of nonzero probability.
template <class Visit>
void for_each_target_point(const FeatureCriterionProblem& p, const Eigen::VectorXd& own, Visit visit) {
  const auto& off = p.traj_offsets;
  const std::int64_t R = off.size - 1, K = p.target_logp.rows;
  const RowMatrix Wt = weights_from_logp(p.target_logp.host_matrix("target_logp"), off, own, p.clip);
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < R; ++j) {
      if (!(p.target_probs[k] > 0 && keep_weight(Wt.row(k).data(), R, j, p.min_weight))) continue;
      const double w = p.target_probs[k] * Wt(k, j) / static_cast<double>(off[j + 1] - off[j]);
      for (std::int64_t t = off[j]; t < off[j + 1]; ++t) visit(k, t, w);
    }
}

}  // namespace

FeatureTargets feature_targets(const FeatureCriterionProblem& p, CandidateRange range, int threads) {
  const Eigen::VectorXd own = own_sums(p);
  FeatureTargets out;
  const MatrixView<double> logp = p.candidate_logp.host_matrix("candidate_logp");
  const MatrixView<double> range_logp(range.size() ? logp.row(range.begin) : logp.data, range.size(), logp.cols,
                                      logp.row_stride);
  out.candidate_weights = weights_from_logp(range_logp, p.traj_offsets, own, p.clip);
  for_each_target_point(p, own, [&](std::int64_t k, std::int64_t t, double w) {
    out.rows.push_back(target_feature_row(p, k, t));
    out.omega.push_back(w);
    out.groups.push_back(target_group(p, k));
  });
  if (has_groups(p)) {
    // Points of one group side by side (stable, so within a group the occupancy's order): a
    // criterion's target blocks then mostly hold one group, and a block of groups a pair does
    // not belong to needs no Gram (host/cpu/feature_criterion.cpp).
    std::vector<std::size_t> order(out.rows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return out.groups[a] < out.groups[b]; });
    auto permuted = [&](const auto& v) {
      std::decay_t<decltype(v)> w(v.size());
      for (std::size_t i = 0; i < order.size(); ++i) w[i] = v[order[i]];
      return w;
    };
    out.rows = permuted(out.rows);
    out.omega = permuted(out.omega);
    out.groups = permuted(out.groups);
  }
  out.prior = feature_diagonal(p.target_features, out.rows, threads, "target_features");
  return out;
}

std::vector<std::int64_t> target_steps(const FeatureCriterionProblem& p) {
  const std::int64_t n = p.target_logp.cols;
  std::vector<std::int64_t> steps;
  for_each_target_point(p, own_sums(p), [&](std::int64_t k, std::int64_t t, double) { steps.push_back(k * n + t); });
  return steps;
}

std::vector<std::int64_t> candidate_rows(const FeatureCriterionProblem& p, std::int64_t c, std::int64_t i) {
  std::vector<std::int64_t> rows;
  for (std::int64_t t = p.traj_offsets[i]; t < p.traj_offsets[i + 1]; ++t) rows.push_back(candidate_feature_row(p, c, t));
  return rows;
}

std::vector<CandidatePair> kept_range_pairs(const RowMatrix& range_weights, CandidateRange range, double min_weight) {
  std::vector<CandidatePair> pairs = kept_pairs(range_weights.data(), range_weights.rows(), range_weights.cols(), min_weight);
  for (CandidatePair& q : pairs) q.candidate += range.begin;
  return pairs;
}

}  // namespace detail

std::vector<std::int64_t> kept_target_steps(const FeatureCriterionProblem& problem) {
  FeatureCriterionProblem p = problem;
  std::vector<std::vector<double>> storage;  // host float64 copies of float32 or CUDA log-probabilities
  detail::resolve_weight_views(p, storage);
  detail::validate_target_weight_inputs(p);
  return detail::target_steps(p);
}

std::vector<CandidatePair> kept_candidate_pairs(const FeatureCriterionProblem& problem) {
  FeatureCriterionProblem p = problem;
  std::vector<std::vector<double>> storage;  // host float64 copies of float32 or CUDA log-probabilities
  detail::resolve_weight_views(p, storage);
  detail::validate_weight_inputs(p);
  const detail::RowMatrix W = detail::candidate_importance_weights(p);
  return detail::kept_pairs(W.data(), W.rows(), W.cols(), p.min_weight);
}

}  // namespace amf
