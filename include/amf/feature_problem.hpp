#pragma once
// The AMF criterion for policies that hand amf their own likelihoods and covariance inputs
// (AMF-NN: a network's log-probabilities and loss-gradient features, DESIGN.md section 1).
// Pool trajectories are given by their step offsets; for every candidate c (and target k) the
// caller evaluates, at every pool step t relabelled with that task:
//   - the policy's log-probability of the logged action, log pi(a_t | s_t, c), and
//   - the features of the point (s_t, c) with label a_t (features.hpp).
// amf clips the log-probabilities, forms the importance weights and the target occupancy, and
// computes J, the information gain and the greedy batch with k_D = k conditioned on the picks
// made so far in the batch (past data act through fine-tuning, not through k_D).
#include <cstdint>
#include <vector>

#include "amf/criterion.hpp"
#include "amf/features.hpp"
#include "amf/problem.hpp"
#include "amf/selection_control.hpp"

namespace amf {

// Scalar of the GEMMs that form the feature Gram blocks k(X, Z) (candidate steps x target points)
// on the CPU backend. Float64 (the default) is the reference. Float32 runs those GEMMs about twice
// as fast: each per-layer product is rounded to float32, then the Hadamard sum and everything
// after it (the T x T Grams, Cholesky, solves, log-variances and sums) stay float64. Its error
// grows where log v = log(k(z, z) - |L^-1 k(X, z)|^2) cancels, i.e. with max k(z, z) / sigma^2:
// measured relative error of J and of the greedy picks' J up to about 1e-8 times that ratio
// (targets on a candidate's own steps, the worst case; 1e-12 on W-NN's unrelated targets), with
// the same picks (tests/test_feature_criterion_blocked.cpp, bench/RESULTS.md). The CUDA backend
// ignores it (float64 throughout) and says so once in the log.
enum class GramPrecision { Float64, Float32 };

struct FeatureCriterionProblem {
  VectorView<std::int64_t> traj_offsets;  // R + 1 entries over the n pool steps
  // The log-probabilities may be float32 or float64, host or CUDA (array_view.hpp): the weights
  // are formed on the host, so CUDA ones are copied there (N n values; the features stay put).
  ArrayView candidate_logp;               // N x n: log pi(a_t | s_t, c)
  ArrayView target_logp;                  // K x n: log pi(a_t | s_t, c'_k)
  ArrayView own_logp;                     // n (an n x 1 column): log pi(a_t | s_t, c_i) under the demo's own task
  VectorView<double> target_probs;        // K, summing to 1
  FeatureSet candidate_features;          // N n points: row c n + t (or as candidate_feature_rows says)
  FeatureSet target_features;             // K n points: row k n + t
  // Optional, for large candidate sets: empty, or N n entries where candidate_feature_rows[c n + t]
  // is the row of candidate_features holding the point (s_t, c), or -1 where it was not computed.
  // The criterion reads the features of the kept pairs' steps only (kept_candidate_pairs: the
  // importance weights come from the log-probabilities alone), so a caller can compute
  // log-probabilities for all N n points, then features for those steps: at W-NN's N 10000,
  // n 800 and an MLP 4 x 256 the dense layout alone is 263 GB.
  VectorView<std::int64_t> candidate_feature_rows;
  // Optional, the same for the targets: empty, or K n entries where target_feature_rows[k n + t]
  // is the row of target_features holding the point (s_t, c'_k), or -1. The target occupancy
  // keeps the steps of the trajectories whose importance weight for target k min_weight keeps
  // (kept_target_steps), usually a small part of the K n points: a task-isolated policy's
  // targets keep about their own task's trajectories.
  VectorView<std::int64_t> target_feature_rows;
  // Optional, for policies whose tasks own disjoint parameters (parameter isolation: one copy of
  // the policy per group of tasks): both empty, or candidate_groups N entries and target_groups K,
  // each >= 0. The kernel between points of different groups is then exactly 0, so the features
  // need only each group's own terms: every copy's terms in one list, a point's row holding those
  // of its own copy (with one term list shared by P copies of the same architecture this is P
  // times less memory and Gram work than padding every copy's terms to every row with zeros,
  // which gives the same criterion). The points of candidate c (every pool step relabelled with
  // c) are in group candidate_groups[c], those of target k in target_groups[k]. Sessions with
  // groups run on the CPU (the CUDA backend hands them to its CPU session and says so).
  VectorView<std::int64_t> candidate_groups;
  VectorView<std::int64_t> target_groups;
  double noise_variance = 1e-2;
  LogProbClip clip;
  int batch_size = 1;
  double min_weight = 1e-6;
  GramPrecision gram_precision = GramPrecision::Float64;
};

// Throws amf::InvalidArgument naming the field. Reads the log-probabilities, so they must be host
// float64 (as Backend::open_session hands problems to backends); resolve_views makes them so.
void validate(const FeatureCriterionProblem& problem, bool for_batch_selection);

// A problem whose views a backend can read, and the memory that holds converted copies.
// Backend::open_session calls it, so callers need not: views that are host float64 (and CUDA
// features when `keep_device_features`, for the CUDA backend) stay as they are; every other view
// is converted to host float64 (array_view.hpp). The copy's views point into `storage` or at the
// caller's arrays, which must outlive it.
struct ResolvedFeatureProblem {
  FeatureCriterionProblem problem;
  std::vector<std::vector<double>> storage;
  ResolvedFeatureProblem() = default;
  ResolvedFeatureProblem(const ResolvedFeatureProblem&) = delete;  // views point into storage
  ResolvedFeatureProblem& operator=(const ResolvedFeatureProblem&) = delete;
};
// Validates every view's metadata first (amf::InvalidArgument naming the field).
void resolve_views(const FeatureCriterionProblem& problem, bool keep_device_features, ResolvedFeatureProblem& out);

// Row of candidate_features that holds candidate c's point at pool step t (-1: not supplied).
inline std::int64_t candidate_feature_row(const FeatureCriterionProblem& p, std::int64_t c, std::int64_t t) {
  const std::int64_t n = p.candidate_logp.cols;
  return p.candidate_feature_rows.size ? p.candidate_feature_rows[c * n + t] : c * n + t;
}

// The group of candidate c's and of target k's points (0 without groups).
inline std::int64_t candidate_group(const FeatureCriterionProblem& p, std::int64_t c) {
  return p.candidate_groups.size ? p.candidate_groups[c] : 0;
}
inline std::int64_t target_group(const FeatureCriterionProblem& p, std::int64_t k) {
  return p.target_groups.size ? p.target_groups[k] : 0;
}
inline bool has_groups(const FeatureCriterionProblem& p) { return p.candidate_groups.size > 0; }

// Row of target_features that holds target k's point at pool step t (-1: not supplied).
inline std::int64_t target_feature_row(const FeatureCriterionProblem& p, std::int64_t k, std::int64_t t) {
  const std::int64_t n = p.target_logp.cols;
  return p.target_feature_rows.size ? p.target_feature_rows[k * n + t] : k * n + t;
}

// The target points the criterion reads, as indices k n + t into the K x n (target, pool step)
// grid, ascending: every step of the pool trajectories whose importance weight for target k
// min_weight keeps (the largest always is), for targets with a nonzero probability. Needs
// traj_offsets, target_logp, own_logp, target_probs, clip and min_weight only; throws
// amf::InvalidArgument naming a bad one. Compute target features for these steps and pass
// target_feature_rows.
std::vector<std::int64_t> kept_target_steps(const FeatureCriterionProblem& problem);

// The (candidate, pool trajectory) pairs whose steps' candidate features the criterion reads:
// nonzero importance weights that min_weight keeps (the row's largest always is), in candidate
// order. Needs traj_offsets, candidate_logp, own_logp, clip and min_weight only (in any memory
// space and type); throws amf::InvalidArgument naming a bad one.
std::vector<CandidatePair> kept_candidate_pairs(const FeatureCriterionProblem& problem);

CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend);
CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend,
                                   const SelectionControl& control);
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend);
// With progress, a stop flag and a time limit (selection_control.hpp), as for AMF-GP.
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend, const SelectionControl& control);

}  // namespace amf
