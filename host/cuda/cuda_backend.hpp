#pragma once
#include <memory>

#include "amf/backend.hpp"

namespace amf {

// Both criteria on a CUDA device, float64 throughout. AMF-GP: cuBLAS/cuSOLVER for the GP fit,
// the conditioning factor and its triangular solves; per (candidate, trajectory) pair the fused
// streaming kernel (kernels/fused_criterion.cuh: the pair's T x T factor in shared memory, the
// cross-covariance with the targets produced tile by tile in place, solves, logs and weighted
// sums) or, with CudaCriterionPath::Materialised, cuBLAS-built cross-covariance blocks and the
// tile kernel of gp_kernels.cu. Pairs run in memory-bounded chunks; greedy picks grow the
// conditioning factor by a rank-T block extension on the device (cuda_gp_session.cpp). Trajectories longer than 64
// steps (the kernels' shared-memory limit) run on the CPU backend, with a warning.
class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& options = {});
  ~CudaBackend() override;
  std::string name() const override { return "cuda"; }
  // Candidate features in CUDA memory are gathered on the device (cuda_feature_criterion.cpp).
  bool reads_device_features() const override { return true; }

 protected:
  std::unique_ptr<SelectionSession> open_validated(const CriterionProblem& problem, CandidateRange range) override;
  // AMF-NN: the pairs' T x T Grams as cuBLAS GEMMs with a Hadamard epilogue, the
  // cross-covariance with the targets in the fused kernel from the per-layer factors (or
  // materialised, as above); cuda_feature_criterion.hpp. T > 64 runs on the CPU backend.
  std::unique_ptr<SelectionSession> open_validated(const FeatureCriterionProblem& problem,
                                                   CandidateRange range) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace amf
