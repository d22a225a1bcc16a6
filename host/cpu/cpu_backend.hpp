#pragma once
#include "amf/backend.hpp"

namespace amf {

// The reference implementation: plain, float64, single-threaded.
class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  CriterionResult run(const CriterionProblem& problem, bool select) override;
};

}  // namespace amf
