#pragma once
// One policy interface: a Gaussian over actions given (state, task). The GP policy lives here;
// neural policies (libamf_torch) implement the same interface.
#include <memory>
#include <vector>

#include "amf/dataset.hpp"
#include "amf/harness/environment.hpp"
#include "amf/problem.hpp"

namespace amf {

struct GaussianAction {
  std::vector<double> mean;
  double variance = 0;  // isotropic: the same for every action dimension
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual int action_dim() const = 0;
  virtual GaussianAction predict(const std::vector<double>& state,
                                 const std::vector<double>& task) const = 0;
};

// Differential entropy of N(mean, variance I) in `dim` dimensions.
double gaussian_entropy(double variance, int dim);

// Multi-output GP policy: independent outputs sharing one RBF kernel on (state, task), zero prior
// mean, conditioned on every step of the dataset. predict() returns the predictive
// distribution of a noisy action: variance = sigma_D^2(x) + noise_variance.
class GpPolicy final : public Policy {
 public:
  GpPolicy(const Dataset& data, const KernelParams& kernel, double noise_variance);
  ~GpPolicy() override;
  int action_dim() const override;
  GaussianAction predict(const std::vector<double>& state,
                         const std::vector<double>& task) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Return of one episode executing the policy mean plus i.i.d. N(0, exec_noise_std^2) actuation
// noise. Deterministic for a seed.
double episode_return(Environment& env, const Policy& policy, const std::vector<double>& task,
                      double exec_noise_std, std::uint64_t seed);

}  // namespace amf
