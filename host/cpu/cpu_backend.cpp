// The AMF-GP criterion on the CPU (DESIGN.md section 1): one session over every candidate, one
// criterion pass per greedy pick, each pick conditioning the next pass on its
// pseudo-demonstration through a block-Cholesky extension.
#include "cpu/cpu_backend.hpp"

#include <algorithm>

#include "core/greedy_pick.hpp"
#include "cpu/feature_criterion.hpp"
#include "cpu/gp_session.hpp"

namespace amf {

CriterionResult CpuBackend::run(const CriterionProblem& p, bool select) {
  detail::GpSelectionSession session(p, p.candidates, threads_);
  CriterionResult result;
  result.num_target_points = session.num_target_points();
  result.weights.assign(session.weights().data(), session.weights().data() + session.weights().size());
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    detail::PassScores scores = session.pass();
    if (b == 0) {
      result.J = scores.J;
      result.info_gain = std::move(scores.info_gain);
    }
    if (!select) break;
    const auto pick = detail::record_greedy_pick(scores.J, session.weights().data(), session.weights().cols(), result);
    if (b + 1 < picks) session.condition_on(p.candidates.row(pick.candidate), pick.trajectory);
  }
  return result;
}

CriterionResult CpuBackend::run(const FeatureCriterionProblem& p, bool select) {
  return detail::feature_criterion_cpu(p, select, threads_);
}

}  // namespace amf
