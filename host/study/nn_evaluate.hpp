#pragma once
// Success rates of a fine-tuned policy: `episodes` episodes of every task, run in lockstep so
// the policy is evaluated once per time step on all of them (one batched forward pass).
#include <memory>
#include <string>
#include <vector>

#include "amf/harness/environment.hpp"
#include "amf/torch/fine_tuner.hpp"

namespace amf {

class Evaluator {
 public:
  Evaluator(const std::string& env_name, int episodes);
  // Per task, the fraction of its episodes whose task succeeded at the end. Episode e of task k
  // starts from the seed mix(seed, k, e): the same initial conditions for every arm and round.
  std::vector<double> success(FineTuner& policy, std::uint64_t seed);

 private:
  int episodes_;
  std::vector<std::unique_ptr<Environment>> envs_;  // task-major: env k * episodes + e
};

}  // namespace amf
