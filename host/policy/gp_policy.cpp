#include <cmath>
#include <random>

#include "amf/error.hpp"
#include "amf/harness/policy.hpp"
#include "gp/gp_math.hpp"

namespace amf {

double gaussian_entropy(double variance, int dim) {
  constexpr double kLogTwoPiE = 2.8378770664093454836;
  return 0.5 * dim * (kLogTwoPiE + std::log(variance));
}

struct GpPolicy::Impl {
  int state_dim, task_dim, action_dim;
  double noise_variance;
  detail::GpPosterior gp;
};

namespace {

detail::GpPosterior fit(const Dataset& data, const KernelParams& kernel, double noise_variance) {
  if (data.size() == 0) throw InvalidArgument("GpPolicy: the dataset is empty");
  const int ds = data.state_dim(), dc = data.task_dim(), da = data.action_dim();
  const std::int64_t n = data.total_steps();
  detail::RowMatrix X(n, ds + dc), Y(n, da);
  std::int64_t r = 0;
  for (const auto& t : data.trajectories()) {
    const std::int64_t steps = static_cast<std::int64_t>(t.states.size()) / ds;
    for (std::int64_t s = 0; s < steps; ++s, ++r) {
      for (int d = 0; d < ds; ++d) X(r, d) = t.states[s * ds + d];
      for (int d = 0; d < dc; ++d) X(r, ds + d) = t.task[d];
      for (int d = 0; d < da; ++d) Y(r, d) = t.actions[s * da + d];
    }
  }
  return detail::GpPosterior(detail::RbfKernel(kernel, ds, dc), noise_variance, std::move(X), Y);
}

}  // namespace

GpPolicy::GpPolicy(const Dataset& data, const KernelParams& kernel, double noise_variance)
    : impl_(new Impl{data.state_dim(), data.task_dim(), data.action_dim(), noise_variance,
                     fit(data, kernel, noise_variance)}) {}

GpPolicy::~GpPolicy() = default;

int GpPolicy::action_dim() const { return impl_->action_dim; }

GaussianAction GpPolicy::predict(const std::vector<double>& state,
                                 const std::vector<double>& task) const {
  if (static_cast<int>(state.size()) != impl_->state_dim || static_cast<int>(task.size()) != impl_->task_dim)
    throw InvalidArgument("GpPolicy::predict: state or task has the wrong size");
  detail::RowMatrix x(1, impl_->state_dim + impl_->task_dim);
  for (int d = 0; d < impl_->state_dim; ++d) x(0, d) = state[d];
  for (int d = 0; d < impl_->task_dim; ++d) x(0, impl_->state_dim + d) = task[d];
  detail::RowMatrix mean;
  Eigen::VectorXd var;
  impl_->gp.predict(x, &mean, &var);
  GaussianAction out;
  out.mean.assign(mean.data(), mean.data() + mean.cols());
  out.variance = var(0) + impl_->noise_variance;
  return out;
}

double episode_return(Environment& env, const Policy& policy, const std::vector<double>& task,
                      double exec_noise_std, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0xda942042e4dd58b5ULL);
  std::normal_distribution<double> noise(0.0, 1.0);
  env.reset(task, seed);
  double total = 0;
  for (int t = 0; t < env.horizon(); ++t) {
    std::vector<double> a = policy.predict(env.state(), task).mean;
    for (double& v : a) v += exec_noise_std * noise(rng);
    total += env.step(a);
  }
  return total;
}

}  // namespace amf
