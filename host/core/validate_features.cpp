#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "core/validate_common.hpp"
#include "gp/feature_gram.hpp"
#include "prep/feature_targets.hpp"
#include "prep/target_occupancy.hpp"

namespace amf {
namespace {

const char* const kPrefix = "amf feature criterion";

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument(std::string(kPrefix) + ": " + msg); }

void finite(const MatrixView<double>& m, const char* field) {
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t c = 0; c < m.cols; ++c)
      if (std::isnan(m(r, c)))  // -inf is a legitimate log-probability (it gets clipped)
        fail(std::string(field) + "[" + std::to_string(r) + "][" + std::to_string(c) + "] is NaN");
}

// A feature set with an optional row map (candidate_feature_rows, target_feature_rows): without
// the map the set has `count` points (tasks x pool steps); with it the map has `count` entries,
// each a row of the set or -1. Returns whether a map is given.
bool check_row_map(const VectorView<std::int64_t>& map, const FeatureSet& set, std::int64_t count,
                   const std::string& side) {
  const std::int64_t points = set.points();
  const std::string features = side + "_features", rows = side + "_feature_rows";
  if (map.size == 0) {
    if (points != count)
      fail(features + " has " + std::to_string(points) + " points, expected " + side + "s x pool steps = " +
           std::to_string(count) + " (or give " + rows + ")");
    return false;
  }
  if (map.size != count)
    fail(rows + " has " + std::to_string(map.size) + " entries, expected " + side + "s x pool steps = " +
         std::to_string(count));
  for (std::int64_t e = 0; e < map.size; ++e)
    if (map[e] < -1 || map[e] >= points)
      fail(rows + "[" + std::to_string(e) + "] = " + std::to_string(map[e]) + " is not a row of " + features +
           " (0.." + std::to_string(points - 1) + ") or -1");
  return true;
}

// With a sparse candidate_feature_rows: a row for every step of every kept pair (the pairs'
// weights come from the log-probabilities, already validated).
void check_candidate_feature_rows(const FeatureCriterionProblem& p, std::int64_t N, std::int64_t n) {
  if (!check_row_map(p.candidate_feature_rows, p.candidate_features, N * n, "candidate")) return;
  const auto& map = p.candidate_feature_rows;
  const detail::RowMatrix W = detail::candidate_importance_weights(p);  // inputs validated above
  for (const CandidatePair& q : detail::kept_pairs(W.data(), W.rows(), W.cols(), p.min_weight))
    for (std::int64_t t = p.traj_offsets[q.trajectory]; t < p.traj_offsets[q.trajectory + 1]; ++t)
      if (map[q.candidate * n + t] < 0)
        fail("candidate_feature_rows[" + std::to_string(q.candidate * n + t) + "] is -1, but candidate " +
             std::to_string(q.candidate) + " keeps pool trajectory " + std::to_string(q.trajectory) +
             " (importance weight " + std::to_string(q.weight) + "): compute the features of every step of the "
             "pairs amf::kept_candidate_pairs returns");
}

// With a sparse target_feature_rows: a row for every point of the target occupancy.
void check_target_feature_rows(const FeatureCriterionProblem& p, std::int64_t K, std::int64_t n) {
  if (!check_row_map(p.target_feature_rows, p.target_features, K * n, "target")) return;
  const auto& map = p.target_feature_rows;
  for (const std::int64_t step : detail::target_steps(p))  // inputs validated above
    if (map[step] < 0)
      fail("target_feature_rows[" + std::to_string(step) + "] is -1, but target " + std::to_string(step / n) +
           " keeps pool step " + std::to_string(step % n) +
           ": compute the features of every step amf::kept_target_steps returns");
}

// Groups: both or neither, one per candidate and one per target, each >= 0.
void check_groups(const FeatureCriterionProblem& p, std::int64_t N, std::int64_t K) {
  if (p.candidate_groups.size == 0 && p.target_groups.size == 0) return;
  if (p.candidate_groups.size == 0 || p.target_groups.size == 0)
    fail(std::string(p.candidate_groups.size ? "candidate_groups is given but target_groups is not"
                                             : "target_groups is given but candidate_groups is not") +
         " (give both, or neither)");
  auto check = [&](const VectorView<std::int64_t>& g, std::int64_t count, const char* field, const char* what) {
    if (g.size != count)
      fail(std::string(field) + " has " + std::to_string(g.size) + " entries, expected one per " + what + " = " +
           std::to_string(count));
    for (std::int64_t e = 0; e < g.size; ++e)
      if (g[e] < 0) fail(std::string(field) + "[" + std::to_string(e) + "] = " + std::to_string(g[e]) + " is negative");
  };
  check(p.candidate_groups, N, "candidate_groups", "candidate");
  check(p.target_groups, K, "target_groups", "target");
}

void check_pool_inputs(const FeatureCriterionProblem& p) {
  const std::int64_t R = detail::check_traj_offsets(kPrefix, p.traj_offsets), n = p.traj_offsets[R];
  if (p.own_logp.rows != n) fail("own_logp has " + std::to_string(p.own_logp.rows) + " entries, the pool " + std::to_string(n) + " steps");
  const VectorView<double> own = p.own_logp.host_vector("own_logp");
  for (std::int64_t t = 0; t < n; ++t)
    if (std::isnan(own[t])) fail("own_logp[" + std::to_string(t) + "] is NaN");
}

}  // namespace

namespace detail {

void validate_target_weight_inputs(const FeatureCriterionProblem& p) {
  detail::check_selection_settings(kPrefix, p.noise_variance, p.clip, p.min_weight, p.batch_size, false);
  check_pool_inputs(p);
  const std::int64_t n = p.traj_offsets[p.traj_offsets.size - 1], K = p.target_logp.rows;
  if (K == 0) fail("the target set is empty (target_logp has 0 rows)");
  if (p.target_logp.cols != n) fail("target_logp has " + std::to_string(p.target_logp.cols) + " columns, the pool " + std::to_string(n) + " steps");
  finite(p.target_logp.host_matrix("target_logp"), "target_logp");
  detail::check_target_probs(kPrefix, p.target_probs, K);
}

void validate_weight_inputs(const FeatureCriterionProblem& p) {
  detail::check_selection_settings(kPrefix, p.noise_variance, p.clip, p.min_weight, p.batch_size, false);
  const std::int64_t R = detail::check_traj_offsets(kPrefix, p.traj_offsets), n = p.traj_offsets[R];
  if (p.candidate_logp.rows == 0) fail("the candidate set is empty (candidate_logp has 0 rows)");
  if (p.candidate_logp.cols != n) fail("candidate_logp has " + std::to_string(p.candidate_logp.cols) + " columns, the pool " + std::to_string(n) + " steps");
  if (p.own_logp.rows != n) fail("own_logp has " + std::to_string(p.own_logp.rows) + " entries, the pool " + std::to_string(n) + " steps");
  finite(p.candidate_logp.host_matrix("candidate_logp"), "candidate_logp");
  const VectorView<double> own = p.own_logp.host_vector("own_logp");
  for (std::int64_t t = 0; t < n; ++t)
    if (std::isnan(own[t])) fail("own_logp[" + std::to_string(t) + "] is NaN");
}

}  // namespace detail

void validate(const FeatureCriterionProblem& p, bool for_batch_selection) {
  // Views in float32 or on a device are checked as open_session would see them; CUDA features
  // are not copied just to be checked (their metadata is, their values where a device reads them).
  ResolvedFeatureProblem resolved;
  resolve_views(p, /*keep_device_features=*/true, resolved);
  detail::validate_feature_problem(resolved.problem, for_batch_selection, /*feature_values=*/true);
}

namespace detail {

void validate_feature_problem(const FeatureCriterionProblem& p, bool for_batch_selection, bool feature_values) {
  detail::check_selection_settings(kPrefix, p.noise_variance, p.clip, p.min_weight, p.batch_size, for_batch_selection);
  detail::validate_weight_inputs(p);
  const std::int64_t R = p.traj_offsets.size - 1, n = p.traj_offsets[R];
  const std::int64_t N = p.candidate_logp.rows, K = p.target_logp.rows;
  if (K == 0) fail("the target set is empty (target_logp has 0 rows)");
  if (p.target_logp.cols != n) fail("target_logp has " + std::to_string(p.target_logp.cols) + " columns, the pool " + std::to_string(n) + " steps");
  finite(p.target_logp.host_matrix("target_logp"), "target_logp");
  detail::check_target_probs(kPrefix, p.target_probs, K);
  try {
    validate_feature_set(p.candidate_features, "candidate_features", feature_values);
    validate_feature_set(p.target_features, "target_features", feature_values);
  } catch (const InvalidArgument& e) {
    fail(e.what());
  }
  check_candidate_feature_rows(p, N, n);
  check_target_feature_rows(p, K, n);
  check_groups(p, N, K);
}

}  // namespace detail
}  // namespace amf
