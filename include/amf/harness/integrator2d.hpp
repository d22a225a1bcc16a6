#pragma once
// The 2D integrator of the paper's section 5.1: a point mass starting at the origin whose
// action is its velocity (norm bounded by max_speed), state = position, task = a goal on a
// circle, reward = minus the distance to the goal after each step, fixed horizon.
// The task vector the policy sees is the goal position (cos a, sin a) * radius, so the RBF task
// kernel is periodic in the angle a.
#include <vector>

#include "amf/harness/environment.hpp"

namespace amf {

struct Integrator2DConfig {
  double radius = 1.0;
  double max_speed = 0.25;
  int horizon = 12;
  double expert_gain = 0.35;  // expert: a = clip_norm(gain * (goal - s), max_speed)
  int num_eval_tasks = 12;    // the named tasks: evenly spaced goals "goal_0deg", "goal_30deg", ...
  double success_radius = 0.1;  // success: the final position within this distance of the goal
};

std::vector<double> goal_of_angle(double angle, double radius);
double angle_of_goal(const std::vector<double>& goal);  // in [0, 2 pi)

// The k-th of `count` evenly spaced evaluation tasks (angle 2 pi k / count).
std::vector<double> evaluation_task(int k, int count, double radius);

class Integrator2D final : public Environment {
 public:
  explicit Integrator2D(Integrator2DConfig config = {});
  std::string name() const override { return "integrator2d"; }
  int state_dim() const override { return 2; }
  int action_dim() const override { return 2; }
  int task_dim() const override { return 2; }
  int horizon() const override { return config_.horizon; }
  const std::vector<double>& reset(const std::vector<double>& task, std::uint64_t seed) override;
  double step(const std::vector<double>& action) override;
  const std::vector<double>& state() const override { return state_; }
  int num_tasks() const override { return config_.num_eval_tasks; }
  std::vector<std::string> task_names() const override;
  std::vector<double> task_vector(int index) const override;
  bool success() const override;
  const Integrator2DConfig& config() const { return config_; }

 private:
  Integrator2DConfig config_;
  std::vector<double> state_{0.0, 0.0};
  std::vector<double> goal_{0.0, 0.0};
};

// Smooth scripted expert: proportional control toward the goal, saturated at max_speed.
class Integrator2DExpert final : public Expert {
 public:
  explicit Integrator2DExpert(Integrator2DConfig config = {}) : config_(config) {}
  std::vector<double> act(const std::vector<double>& state,
                          const std::vector<double>& task) const override;

 private:
  Integrator2DConfig config_;
};

}  // namespace amf
