#pragma once
#include <memory>

#include "amf/backend.hpp"

namespace amf {

// Both criteria on a CUDA device, float64 throughout. AMF-GP: cuBLAS/cuSOLVER for the Grams,
// factors and triangular solves, the fused per-pair tile kernel for the Cholesky, solves, logs and
// weighted sums (kernels/gp_kernels.cu), candidates and pairs in memory-bounded chunks, and greedy
// picks that grow the conditioning factor by a rank-T block extension on the device.
// Trajectories longer than 64 steps (the tile kernel's shared-memory limit) run on the CPU
// backend, with a warning.
class CudaBackend final : public Backend {
 public:
  CudaBackend();
  ~CudaBackend() override;
  std::string name() const override { return "cuda"; }
  CriterionResult run(const CriterionProblem& problem, bool select) override;
  // AMF-NN: the factorised loss-gradient Grams as cuBLAS GEMMs with a Hadamard epilogue, then
  // the same fused tile kernel (cuda_feature_criterion.hpp); T > 64 runs on the CPU backend.
  CriterionResult run(const FeatureCriterionProblem& problem, bool select) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace amf
