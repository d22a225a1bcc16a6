#pragma once
#include "amf/backend.hpp"

namespace amf {

// The CPU backend: float64 throughout, threads over tasks and candidates, memory bounded by
// per-candidate work (nothing of size N x R x T x M).
class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads = 0) : threads_(threads) {}
  std::string name() const override { return "cpu"; }
  CriterionResult run(const CriterionProblem& problem, bool select) override;
  CriterionResult run(const FeatureCriterionProblem& problem, bool select) override;

 private:
  int threads_;
};

}  // namespace amf
