#pragma once
// One Backend interface, implementations chosen at run time by name: "auto", "cpu", "cuda".
#include <cstdint>
#include <memory>
#include <string>

#include "amf/criterion.hpp"
#include "amf/cuda_resources.hpp"
#include "amf/feature_problem.hpp"
#include "amf/session.hpp"

namespace amf {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Whether sessions read CUDA-resident features on their device (no host copy); otherwise
  // open_session copies them to host float64 first.
  virtual bool reads_device_features() const { return false; }

  // Validates the problem (amf::InvalidArgument naming the field), then opens a session over
  // candidates `range` (the whole problem when omitted). The problem's arrays must outlive the
  // session. problem.batch_size bounds how many picks the session can be conditioned on. AMF-NN
  // views in float32 or in CUDA memory are resolved first (resolve_views, array_view.hpp).
  //
  // A backend is the reusable engine object: it keeps its device context (streams, library
  // handles, pinned staging) between sessions, so a trainer makes one and selects with it every
  // round.
  std::unique_ptr<SelectionSession> open_session(const CriterionProblem& problem);                 // AMF-GP
  std::unique_ptr<SelectionSession> open_session(const CriterionProblem& problem, CandidateRange range);
  std::unique_ptr<SelectionSession> open_session(const FeatureCriterionProblem& problem);          // AMF-NN
  std::unique_ptr<SelectionSession> open_session(const FeatureCriterionProblem& problem, CandidateRange range);

 protected:
  // Each receives a validated problem and a range inside it.
  virtual std::unique_ptr<SelectionSession> open_validated(const CriterionProblem& problem, CandidateRange range) = 0;
  virtual std::unique_ptr<SelectionSession> open_validated(const FeatureCriterionProblem& problem,
                                                           CandidateRange range) = 0;
};

enum class BackendKind { Auto, Cpu, Cuda };

// Parses "auto" | "cpu" | "cuda"; throws InvalidArgument naming the value otherwise.
BackendKind parse_backend_kind(const std::string& name);

// How the CUDA backend forms each (candidate, trajectory) pair's T x M cross-covariance with the
// targets. Fused (default): the streaming kernel produces it tile by tile in shared memory
// (kernels/fused_criterion.cuh), so it never reaches global memory. Materialised: cuBLAS GEMMs
// write it to global memory in chunks of at most 1 GiB, then the tile kernel reads it back; kept
// as the yardstick the GPU check compares the fused kernel with.
enum class CudaCriterionPath { Fused, Materialised };

struct BackendOptions {
  int cpu_threads = 0;  // CPU backend worker threads; 0 = one per hardware core
  CudaCriterionPath cuda_criterion = CudaCriterionPath::Fused;
  // The device, and optionally the caller's stream and memory pool (cuda_resources.hpp).
  CudaResources cuda;
  // Memory a CPU selection session may keep for incremental conditioning: the first pass's
  // cross-covariances of every kept pair with the targets (8 bytes x candidate steps x target
  // points), which later greedy steps update by a low-rank correction instead of recomputing.
  // Negative (default): the smaller of a quarter of the physical memory and half of the memory
  // still available when the session opens; 0: recompute every step. The log says
  // which the session chose and how much it keeps.
  std::int64_t session_cache_bytes = -1;
  // Most (candidate, trajectory) pairs one CUDA chunk holds. 0 (default): as many whole waves of
  // the criterion kernel as the chunk memory bound allows. A few pairs run many chunks through
  // the copy/compute pipeline, as the device tests do.
  std::int64_t cuda_chunk_pairs = 0;
};

// Auto picks CUDA when it was built and a device is present, otherwise the CPU backend and one
// log line saying why. Asking for Cuda where it cannot run throws amf::Error.
std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options = {});

// Whether this build contains the CUDA sources, and how many devices the runtime sees
// (0 when none, when the driver is missing, or when CUDA was not built).
bool cuda_compiled();
int cuda_device_count();
// "major.minor" of the CUDA runtime amf was built with; empty without CUDA.
std::string cuda_runtime_version();

}  // namespace amf
