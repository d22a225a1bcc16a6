#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "amf/feature_problem.hpp"

namespace amf {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument("amf feature criterion: " + msg); }

void finite(const MatrixView<double>& m, const char* field) {
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t c = 0; c < m.cols; ++c)
      if (std::isnan(m(r, c)))  // -inf is a legitimate log-probability (it gets clipped)
        fail(std::string(field) + "[" + std::to_string(r) + "][" + std::to_string(c) + "] is NaN");
}

}  // namespace

void validate(const FeatureCriterionProblem& p, bool for_batch_selection) {
  if (!(std::isfinite(p.noise_variance) && p.noise_variance > 0))
    fail("noise_variance = " + std::to_string(p.noise_variance) + " (must be a finite number > 0)");
  if (!(std::isfinite(p.clip.lo) && std::isfinite(p.clip.hi) && p.clip.lo < p.clip.hi)) fail("clip needs finite lo < hi");
  if (!(p.min_weight >= 0 && p.min_weight < 1)) fail("min_weight must be in [0, 1)");
  if (for_batch_selection && p.batch_size < 1) fail("batch_size = " + std::to_string(p.batch_size) + " (must be >= 1)");
  if (p.traj_offsets.size < 2 || p.traj_offsets.data == nullptr) fail("the pool is empty: traj_offsets needs at least 2 entries");
  const std::int64_t R = p.traj_offsets.size - 1, n = p.traj_offsets[R];
  if (p.traj_offsets[0] != 0) fail("traj_offsets[0] must be 0");
  for (std::int64_t i = 0; i < R; ++i)
    if (p.traj_offsets[i + 1] <= p.traj_offsets[i]) fail("trajectory " + std::to_string(i) + " has no steps (horizon 0)");
  const std::int64_t N = p.candidate_logp.rows, K = p.target_logp.rows;
  if (N == 0) fail("the candidate set is empty (candidate_logp has 0 rows)");
  if (K == 0) fail("the target set is empty (target_logp has 0 rows)");
  if (p.candidate_logp.cols != n) fail("candidate_logp has " + std::to_string(p.candidate_logp.cols) + " columns, the pool " + std::to_string(n) + " steps");
  if (p.target_logp.cols != n) fail("target_logp has " + std::to_string(p.target_logp.cols) + " columns, the pool " + std::to_string(n) + " steps");
  if (p.own_logp.size != n) fail("own_logp has " + std::to_string(p.own_logp.size) + " entries, the pool " + std::to_string(n) + " steps");
  finite(p.candidate_logp, "candidate_logp");
  finite(p.target_logp, "target_logp");
  for (std::int64_t t = 0; t < n; ++t)
    if (std::isnan(p.own_logp[t])) fail("own_logp[" + std::to_string(t) + "] is NaN");
  if (p.target_probs.size != K) fail("target_probs has " + std::to_string(p.target_probs.size) + " entries, targets " + std::to_string(K));
  double sum = 0;
  for (std::int64_t k = 0; k < K; ++k) {
    if (!(std::isfinite(p.target_probs[k]) && p.target_probs[k] >= 0)) fail("target_probs[" + std::to_string(k) + "] must be finite and >= 0");
    sum += p.target_probs[k];
  }
  if (std::abs(sum - 1) > 1e-6) fail("target_probs sum to " + std::to_string(sum) + " (must sum to 1)");
  try {
    p.candidate_features.validate("candidate_features");
    p.target_features.validate("target_features");
  } catch (const InvalidArgument& e) {
    fail(e.what());
  }
  if (p.candidate_features.points() != N * n)
    fail("candidate_features has " + std::to_string(p.candidate_features.points()) + " points, expected candidates x pool steps = " + std::to_string(N * n));
  if (p.target_features.points() != K * n)
    fail("target_features has " + std::to_string(p.target_features.points()) + " points, expected targets x pool steps = " + std::to_string(K * n));
}

}  // namespace amf
