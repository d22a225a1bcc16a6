// The CPU backend opens the CPU sessions: AMF-GP (gp_session.hpp: criterion passes, picks grow
// the conditioning by a block-Cholesky extension) and AMF-NN (feature_criterion.hpp).
#include "cpu/cpu_backend.hpp"

#include "cpu/feature_criterion.hpp"
#include "cpu/gp_session.hpp"

namespace amf {

std::unique_ptr<SelectionSession> CpuBackend::open_validated(const CriterionProblem& p, CandidateRange range) {
  return std::make_unique<detail::GpSelectionSession>(p, range, threads_,
                                                    detail::resolve_session_budget(cache_bytes_));
}

std::unique_ptr<SelectionSession> CpuBackend::open_validated(const FeatureCriterionProblem& p, CandidateRange range) {
  return detail::open_feature_session_cpu(p, range, threads_, detail::resolve_session_budget(cache_bytes_));
}

}  // namespace amf
