#pragma once
// The MC-dropout ablation of the uncertainty estimate (paper section 5.4, Fig. 6; Loquercio et al.
// 2020): test-time dropout on the same deterministic policy the other arms use, its prior
// predictive variance per task from S stochastic passes, and the batch rule that fills the whole
// batch with the most uncertain task.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "amf/torch/torch_policy.hpp"

namespace amf {

// For every task k: the mean over the given states of the summed (over action dimensions)
// variance of f(s, c_k) across `passes` forward passes with dropout of `rate` (in (0, 1)) after
// every hidden block, whatever the policy was trained with. states (N, ds), tasks (K, dc) with
// ds + dc the policy's input size; returns (K) float64 on the CPU. The masks come from a CPU
// generator of its own seeded with `seed` (the masks torch::manual_seed(seed) would give on the
// CPU), so calls on several threads at once do not disturb each other.
torch::Tensor dropout_prior_variance(MlpPolicy& policy, const torch::Tensor& states, const torch::Tensor& tasks,
                                     int passes, double rate, std::uint64_t seed);

// The ablation's batch: batch_size copies of argmax_k variances[k] (ties: the lowest k).
std::vector<std::int64_t> max_variance_batch(const torch::Tensor& variances, int batch_size);

}  // namespace amf
