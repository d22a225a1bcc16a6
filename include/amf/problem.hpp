#pragma once
// The inputs of the AMF criterion for a Gaussian-process policy (DESIGN.md section 1), as
// explicit arrays. All matrices are row-major float64 views of caller memory (see view.hpp).
#include <cstdint>
#include <vector>

#include "amf/view.hpp"

namespace amf {

// RBF kernel on x = (s, c): k(x, x') = signal_variance *
//   exp(-|s - s'|^2 / (2 state_lengthscale^2) - |c - c'|^2 / (2 task_lengthscale^2)).
struct KernelParams {
  double state_lengthscale = 0.5;
  double task_lengthscale = 0.5;
  double signal_variance = 1.0;
};

// Per-step log-probabilities are clipped to [lo, hi] before they enter the importance weights.
struct LogProbClip {
  double lo = -10.0;
  double hi = 10.0;
};

struct CriterionProblem {
  // Pool trajectories. Trajectory i owns rows [traj_offsets[i], traj_offsets[i+1]) of
  // pool_states (n_steps x ds) and pool_actions (n_steps x da); pool_tasks is R x dc.
  // The GP policy is conditioned on every pool step (x = (s_it, c_i), y = a_it).
  MatrixView<double> pool_states;
  MatrixView<double> pool_actions;
  VectorView<std::int64_t> traj_offsets;  // R + 1 entries, 0 first, n_steps last, increasing
  MatrixView<double> pool_tasks;

  MatrixView<double> candidates;        // N x dc
  MatrixView<double> targets;           // K x dc
  VectorView<double> target_probs;      // K, non-negative, summing to 1 (within 1e-6)

  KernelParams kernel;
  double noise_variance = 1e-2;         // sigma^2 of the policy likelihood and the GP
  LogProbClip clip;
  int batch_size = 1;                   // B: tasks picked greedily (only for select_batch)

  // Trajectories (and target points) whose importance weight is below min_weight are dropped
  // from the sums, except each task's largest weight; 0 keeps everything (the exact criterion).
  double min_weight = 1e-6;

  std::int64_t num_trajectories() const { return traj_offsets.size - 1; }
  std::int64_t state_dim() const { return pool_states.cols; }
  std::int64_t action_dim() const { return pool_actions.cols; }
  std::int64_t task_dim() const { return pool_tasks.cols; }
};

// Throws amf::InvalidArgument naming the first offending field (shape, sign, NaN, ordering).
// Every backend calls this before computing anything.
void validate(const CriterionProblem& problem, bool for_batch_selection);

}  // namespace amf
