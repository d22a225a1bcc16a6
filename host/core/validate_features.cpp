#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "core/validate_common.hpp"

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

}  // namespace

void validate(const FeatureCriterionProblem& p, bool for_batch_selection) {
  detail::check_selection_settings(kPrefix, p.noise_variance, p.clip, p.min_weight, p.batch_size, for_batch_selection);
  const std::int64_t R = detail::check_traj_offsets(kPrefix, p.traj_offsets), n = p.traj_offsets[R];
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
  detail::check_target_probs(kPrefix, p.target_probs, K);
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
