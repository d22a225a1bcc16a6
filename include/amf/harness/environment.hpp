#pragma once
// One environment interface for every simulated robot (the 2D integrator and the MuJoCo scenes
// "cupfaucet" and "kitchen"; make them by name with amf/harness/environments.hpp), and one for the
// scripted experts that demonstrate in them.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "amf/dataset.hpp"

namespace amf {

class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::string name() const = 0;
  virtual int state_dim() const = 0;
  virtual int action_dim() const = 0;
  virtual int task_dim() const = 0;
  virtual int horizon() const = 0;

  // Starts an episode of `task`; deterministic for a given seed. Returns the first state.
  virtual const std::vector<double>& reset(const std::vector<double>& task, std::uint64_t seed) = 0;
  // Applies an action and returns the reward of the transition.
  virtual double step(const std::vector<double>& action) = 0;
  virtual const std::vector<double>& state() const = 0;

  // The named tasks the studies evaluate on. task_vector(i) is what the policy is conditioned on
  // and what reset() takes: one-hot for the discrete scenes, the goal position for the
  // integrator (its evaluation goals).
  virtual int num_tasks() const = 0;
  virtual std::vector<std::string> task_names() const = 0;
  virtual std::vector<double> task_vector(int index) const = 0;
  // The index of a named task; throws InvalidArgument naming it and listing the valid names.
  int task_index(const std::string& name) const;

  // Whether the current episode's task is achieved in the current state (the studies read it
  // after the last step of an episode).
  virtual bool success() const = 0;
};

// Experts are Markov on purpose (the action is a function of state and task only, no hidden
// phase), so a policy conditioned on (state, task) can imitate them exactly and an expert
// recovers from any perturbation its action noise causes.
class Expert {
 public:
  virtual ~Expert() = default;
  // The noise-free expert action for `state` under `task`.
  virtual std::vector<double> act(const std::vector<double>& state,
                                  const std::vector<double>& task) const = 0;
};

// One expert episode of `task` with i.i.d. N(0, action_noise_std^2) added to every action; the
// noisy action is both executed and recorded. Deterministic for a given seed.
Trajectory demonstrate(Environment& env, const Expert& expert, const std::vector<double>& task,
                       double action_noise_std, std::uint64_t seed);

}  // namespace amf
