#pragma once
// A straightforward LibTorch implementation of the AMF-GP criterion: materialised Gram blocks,
// torch::linalg Cholesky and triangular solves, float64, and greedy conditioning by
// refactorising the enlarged Gram (not by extension). It is what a PyTorch user would write,
// and serves as an independent check of the engine's backends and as their speed yardstick.
#include <string>

#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"

namespace amf {

// device: "cpu" or "cuda" (LibTorch built with CUDA and a visible device); tensors live there.
CriterionResult torch_reference_criterion(const CriterionProblem& problem, bool select,
                                          const std::string& device = "cpu");

// The feature (AMF-NN) criterion the same straightforward way: per-layer Gram blocks with
// matmuls and Hadamard products, batched Cholesky and solves, greedy picks by refactorising.
CriterionResult torch_feature_criterion(const FeatureCriterionProblem& problem, bool select,
                                        const std::string& device = "cpu");

}  // namespace amf
