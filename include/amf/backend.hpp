#pragma once
// One Backend interface, implementations chosen at run time by name: "auto", "cpu", "cuda".
#include <memory>
#include <string>

#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"

namespace amf {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Each receives a validated problem. select=false: one pass, no batch.
  virtual CriterionResult run(const CriterionProblem& problem, bool select) = 0;          // AMF-GP
  virtual CriterionResult run(const FeatureCriterionProblem& problem, bool select) = 0;   // AMF-NN
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
