// Link-time stand-ins for the config fuzzer (run_fuzz_config.sh). The loaders share translation
// units with code that runs studies (sweep_runs.cpp runs sweeps; backend.cpp, which holds
// parse_backend_kind, also opens backends), and that code reaches the whole engine. Loading never
// calls it, so instead of compiling the engine these definitions satisfy the linker and abort:
// should a loader ever reach one, the fuzzer reports it as a crash with the stack.
#include <cstdio>
#include <cstdlib>

#include "amf/harness/study.hpp"
#include "core/validate_common.hpp"
#include "cpu/cpu_backend.hpp"

namespace {
[[noreturn]] void unreachable(const char* what) {
  std::fprintf(stderr, "fuzz_study_config: %s was called while loading a configuration\n", what);
  std::abort();
}
}  // namespace

namespace amf {

GpStudyResults run_gp_study(const GpStudyConfig&, const StudyProgressCallback&, const std::string&) {
  unreachable("run_gp_study");
}

std::unique_ptr<SelectionSession> CpuBackend::open_validated(const CriterionProblem&, CandidateRange) {
  unreachable("CpuBackend::open_validated");
}
std::unique_ptr<SelectionSession> CpuBackend::open_validated(const FeatureCriterionProblem&, CandidateRange) {
  unreachable("CpuBackend::open_validated");
}

namespace detail {
void validate_feature_problem(const FeatureCriterionProblem&, bool, bool) { unreachable("validate_feature_problem"); }
}  // namespace detail

}  // namespace amf
