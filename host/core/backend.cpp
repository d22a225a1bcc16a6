#include "amf/backend.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <new>

#include "amf/error.hpp"
#include "core/validate_common.hpp"
#include "cpu/cpu_backend.hpp"
#include "cuda/device_probe.hpp"
#ifdef AMF_HAVE_CUDA
#include "cuda/cuda_backend.hpp"
#endif

namespace amf {

BackendKind parse_backend_kind(const std::string& name) {
  if (name == "auto") return BackendKind::Auto;
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  throw InvalidArgument("backend '" + name + "' is unknown (choose auto, cpu or cuda)");
}

namespace {

void validate_for_session(const CriterionProblem& problem) { validate(problem, /*for_batch_selection=*/false); }
// Feature values are checked by the sessions on the rows they read (packing, gathering).
void validate_for_session(const FeatureCriterionProblem& problem) {
  detail::validate_feature_problem(problem, /*for_batch_selection=*/false, /*feature_values=*/false);
}

template <typename Problem>
void check_range(const Problem& problem, std::int64_t candidates, CandidateRange range) {
  validate_for_session(problem);
  if (range.begin < 0 || range.end < range.begin || range.end > candidates)
    throw InvalidArgument("candidate range [" + std::to_string(range.begin) + ", " + std::to_string(range.end) +
                          ") is not inside the problem's " + std::to_string(candidates) + " candidates");
}

}  // namespace

std::unique_ptr<SelectionSession> Backend::open_session(const CriterionProblem& problem) {
  return open_session(problem, CandidateRange{0, problem.candidates.rows});
}
std::unique_ptr<SelectionSession> Backend::open_session(const CriterionProblem& problem, CandidateRange range) {
  check_range(problem, problem.candidates.rows, range);
  try {
    return open_validated(problem, range);
  } catch (const std::bad_alloc&) {
    // The pool's GP dominates: its n x n factor, and as many again for the importance weights'
    // tables. Say so instead of a bare std::bad_alloc.
    const double n = static_cast<double>(problem.pool_states.rows);
    throw OutOfMemory("amf criterion: out of memory opening the AMF-GP session on " + name() + ": the pool's " +
                      std::to_string(problem.pool_states.rows) + " x " + std::to_string(problem.pool_states.rows) +
                      " Gram alone takes " + std::to_string(static_cast<long long>(n * n * 8 / (1 << 20))) +
                      " MiB and the session keeps several such matrices (subsample the pool's steps, or select "
                      "with AMF-NN features)");
  }
}
std::unique_ptr<SelectionSession> Backend::open_session(const FeatureCriterionProblem& problem) {
  return open_session(problem, CandidateRange{0, problem.candidate_logp.rows});
}
std::unique_ptr<SelectionSession> Backend::open_session(const FeatureCriterionProblem& problem,
                                                        CandidateRange range) {
  // The session reads the resolved copy (host float64, or CUDA features this backend reads in
  // place) and keeps it, with any converted arrays, as long as it lives.
  auto resolved = std::make_shared<ResolvedFeatureProblem>();
  resolve_views(problem, reads_device_features(), *resolved);
  check_range(resolved->problem, problem.candidate_logp.rows, range);
  try {
    std::unique_ptr<SelectionSession> session = open_validated(resolved->problem, range);
    session->keep_alive(std::move(resolved));
    return session;
  } catch (const std::bad_alloc&) {
    throw OutOfMemory("amf feature criterion: out of memory opening the AMF-NN session on " + name() + " (" +
                      std::to_string(problem.candidate_logp.rows) + " candidates, " +
                      std::to_string(problem.target_logp.rows * problem.target_logp.cols) +
                      " target points): raise min_weight to keep fewer pairs, or use fewer target points");
  }
}

bool cuda_compiled() { return detail::cuda_built(); }
int cuda_device_count() { return detail::cuda_devices(); }
std::string cuda_runtime_version() { return detail::cuda_version(); }

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options) {
  // The CUDA backend is compiled and its tile math CPU-tested, but until the gpu tests have
  // passed on a device (tools/gpu_check.sh), `auto` does not choose it: ask for it by name.
  constexpr bool cuda_validated_on_a_device = false;
  const bool device = cuda_compiled() && cuda_device_count() > 0;
  if (kind == BackendKind::Cuda) {
    if (!device)
      throw Error(std::string("backend 'cuda' is not available: ") +
                  (!cuda_compiled() ? "CUDA was not compiled into this build" : "no CUDA device is visible") +
                  " (use --backend cpu or auto)");
#ifdef AMF_HAVE_CUDA
    return std::make_unique<CudaBackend>(options);
#endif
  }
  if (kind == BackendKind::Auto) {
    if (device && cuda_validated_on_a_device) {
#ifdef AMF_HAVE_CUDA
      return std::make_unique<CudaBackend>(options);
#endif
    }
    static std::once_flag logged;  // one line per process, not per selection
    std::call_once(logged, [device] {
      if (!cuda_compiled())
        spdlog::info("amf: CUDA not compiled in; using the CPU backend");
      else if (!device)
        spdlog::info("amf: no CUDA device found; using the CPU backend");
      else
        spdlog::info("amf: {} CUDA device(s) found; `auto` uses the CPU backend until the CUDA backend has been "
                     "validated on a GPU (tools/gpu_check.sh); pass --backend cuda to use it",
                     cuda_device_count());
    });
  }
  return std::make_unique<CpuBackend>(options.cpu_threads, options.session_cache_bytes);
}

}  // namespace amf
