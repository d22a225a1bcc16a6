#include "study/gp_evaluation.hpp"

#include "amf/harness/integrator2d.hpp"
#include "amf/harness/policy.hpp"
#include "study/seed_mix.hpp"

namespace amf {
namespace detail {

std::uint64_t gp_run_seed(const GpStudyConfig& cfg, int k, int seed) {
  return mix_seed(mix_seed(cfg.base_seed, k), seed);
}

Dataset pretraining_demonstrations(const GpStudyConfig& cfg, int k, std::uint64_t run_seed) {
  Integrator2D env(cfg.env);
  const Integrator2DExpert expert(cfg.env);
  Dataset pretrain(2, 2, 2);
  for (int d = 0; d < cfg.pretrain_demos; ++d)
    pretrain.add(demonstrate(env, expert, evaluation_task(d % k, cfg.num_eval_tasks, cfg.env.radius),
                             cfg.expert_noise_std, mix_seed(run_seed, 100000 + d)));
  return pretrain;
}

Evaluation evaluate_gp_policy(const GpStudyConfig& cfg, const Dataset& data, std::uint64_t seed) {
  const GpPolicy policy(data, cfg.kernel, cfg.noise_variance);
  Integrator2D env(cfg.env);
  const Integrator2DExpert expert(cfg.env);
  double ret = 0, ent = 0;
  int points = 0;
  for (int k = 0; k < cfg.num_eval_tasks; ++k) {
    const auto task = evaluation_task(k, cfg.num_eval_tasks, cfg.env.radius);
    for (int e = 0; e < cfg.episodes_per_task; ++e)
      ret += episode_return(env, policy, task, cfg.exec_noise_std, mix_seed(seed, k * 1000 + e));
    const Trajectory occupancy = demonstrate(env, expert, task, 0.0, 0);
    for (int t = 0; t < cfg.env.horizon; ++t, ++points) {
      const std::vector<double> s(occupancy.states.begin() + 2 * t, occupancy.states.begin() + 2 * t + 2);
      ent += gaussian_entropy(policy.predict(s, task).variance, policy.action_dim());
    }
  }
  return {ret / (cfg.num_eval_tasks * cfg.episodes_per_task), ent / points};
}

GoalSelectionProblem::GoalSelectionProblem(const GpStudyConfig& cfg, const Dataset& data,
                                           const std::vector<double>& angles)
    : pool(data) {
  for (double a : angles) {
    const auto g = goal_of_angle(a, cfg.env.radius);
    candidates.insert(candidates.end(), g.begin(), g.end());
  }
  for (int k = 0; k < cfg.num_eval_tasks; ++k) {
    const auto g = evaluation_task(k, cfg.num_eval_tasks, cfg.env.radius);
    targets.insert(targets.end(), g.begin(), g.end());
    probs.push_back(1.0 / cfg.num_eval_tasks);
  }
  pool.attach(problem);
  problem.candidates = MatrixView<double>(candidates.data(), static_cast<std::int64_t>(angles.size()), 2);
  problem.targets = MatrixView<double>(targets.data(), cfg.num_eval_tasks, 2);
  problem.target_probs = VectorView<double>(probs);
  problem.kernel = cfg.kernel;
  problem.noise_variance = cfg.noise_variance;
  problem.clip = cfg.clip;
  problem.batch_size = cfg.batch_size;
  problem.min_weight = cfg.min_weight;
}

}  // namespace detail
}  // namespace amf
