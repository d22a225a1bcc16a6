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

#include "amf/criterion.hpp"
#include "amf/features.hpp"
#include "amf/problem.hpp"

namespace amf {

// Scalar of the GEMMs that form the feature Gram blocks k(X, Z) (candidate steps x target points)
// on the CPU backend. Float64 is the reference. Float32 runs those GEMMs at about twice the rate;
// each per-layer product is rounded to float32 and then summed, and everything after (the
// T x T Grams, Cholesky, solves, log-variances and sums) stays float64. The error it brings is
// relative to k, so log v = log(k(z, z) - |L^-1 k(X, z)|^2) loses accuracy where v is small
// against k(z, z) (a target close to a candidate's steps): measure before relying on it
// (bench/RESULTS.md gives W-NN's numbers). The CUDA backend ignores it (float64 throughout).
enum class GramPrecision { Float64, Float32 };

struct FeatureCriterionProblem {
  VectorView<std::int64_t> traj_offsets;  // R + 1 entries over the n pool steps
  MatrixView<double> candidate_logp;      // N x n: log pi(a_t | s_t, c)
  MatrixView<double> target_logp;         // K x n: log pi(a_t | s_t, c'_k)
  VectorView<double> own_logp;            // n: log pi(a_t | s_t, c_i) under the demo's own task
  VectorView<double> target_probs;        // K, summing to 1
  FeatureSet candidate_features;          // N n points: row c n + t
  FeatureSet target_features;             // K n points: row k n + t
  double noise_variance = 1e-2;
  LogProbClip clip;
  int batch_size = 1;
  double min_weight = 1e-6;
  GramPrecision gram_precision = GramPrecision::Float64;
};

// Throws amf::InvalidArgument naming the field.
void validate(const FeatureCriterionProblem& problem, bool for_batch_selection);

CriterionResult evaluate_criterion(const FeatureCriterionProblem& problem, Backend& backend);
CriterionResult select_batch(const FeatureCriterionProblem& problem, Backend& backend);

}  // namespace amf
