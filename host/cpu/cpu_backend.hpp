#pragma once
#include <cstdint>

#include "amf/backend.hpp"

namespace amf {

// The CPU backend: float64 throughout, threads over tasks and candidates, memory bounded by
// per-candidate work (nothing of size N x R x T x M).
class CpuBackend final : public Backend {
 public:
  // cache_bytes: BackendOptions::session_cache_bytes.
  explicit CpuBackend(int threads = 0, std::int64_t cache_bytes = -1) : threads_(threads), cache_bytes_(cache_bytes) {}
  std::string name() const override { return "cpu"; }

 protected:
  std::unique_ptr<SelectionSession> open_validated(const CriterionProblem& problem, CandidateRange range) override;
  std::unique_ptr<SelectionSession> open_validated(const FeatureCriterionProblem& problem,
                                                   CandidateRange range) override;

 private:
  int threads_;
  std::int64_t cache_bytes_;
};

}  // namespace amf
