#pragma once
// A small synthetic multi-task behaviour-cloning problem for the fine-tuning tests: states and
// tasks in 2-D, tasks on the unit circle, a smooth expert a = 0.5 tanh(2 (c - s)).
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "amf/torch/finetune.hpp"

namespace amf_test {

// n rows with task angles uniform in [lo, hi).
inline amf::BcData synthetic_bc(std::int64_t n, double lo, double hi, std::uint64_t seed,
                                torch::ScalarType dtype = torch::kFloat64) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto angle = torch::rand({n, 1}, gen, torch::kFloat64) * (hi - lo) + lo;
  const auto task = torch::cat({torch::cos(angle), torch::sin(angle)}, 1);
  const auto state = 0.5 * torch::randn({n, 2}, gen, torch::kFloat64);
  const auto action = 0.5 * torch::tanh(2.0 * (task - state));
  return {torch::cat({state, task}, 1).to(dtype), action.to(dtype), 2};
}

}  // namespace amf_test
