#pragma once
#include "amf/backend.hpp"

namespace amf {

// The CPU backend: float64 throughout, threads over tasks and candidates, memory bounded by
// per-candidate work (nothing of size N x R x T x M).
class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads = 0) : threads_(threads) {}
  std::string name() const override { return "cpu"; }

 protected:
  std::unique_ptr<SelectionSession> open_validated(const CriterionProblem& problem, CandidateRange range) override;
  std::unique_ptr<SelectionSession> open_validated(const FeatureCriterionProblem& problem,
                                                   CandidateRange range) override;

 private:
  int threads_;
};

}  // namespace amf
