#include "amf/harness/environment.hpp"

namespace amf {

Trajectory demonstrate(Environment& env, const Expert& expert, const std::vector<double>& task,
                       double action_noise_std, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::normal_distribution<double> noise(0.0, 1.0);
  Trajectory traj;
  traj.task = task;
  std::vector<double> s = env.reset(task, seed);
  for (int t = 0; t < env.horizon(); ++t) {
    std::vector<double> a = expert.act(s, task);
    for (double& v : a) v += action_noise_std * noise(rng);
    traj.states.insert(traj.states.end(), s.begin(), s.end());
    traj.actions.insert(traj.actions.end(), a.begin(), a.end());
    env.step(a);
    s = env.state();
  }
  return traj;
}

}  // namespace amf
