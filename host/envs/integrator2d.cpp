#include "amf/harness/integrator2d.hpp"

#include <cmath>
#include <cstdio>

#include "amf/error.hpp"

namespace amf {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

void clip_norm(std::vector<double>& v, double max_norm) {
  const double n = std::hypot(v[0], v[1]);
  if (n > max_norm) {
    v[0] *= max_norm / n;
    v[1] *= max_norm / n;
  }
}

}  // namespace

std::vector<double> goal_of_angle(double angle, double radius) {
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

double angle_of_goal(const std::vector<double>& goal) {
  const double a = std::atan2(goal[1], goal[0]);
  return a < 0 ? a + kTwoPi : a;
}

std::vector<double> evaluation_task(int k, int count, double radius) {
  return goal_of_angle(kTwoPi * k / count, radius);
}

Integrator2D::Integrator2D(Integrator2DConfig config) : config_(config) {
  if (config_.horizon < 1)
    throw InvalidArgument("integrator2d: horizon = " + std::to_string(config_.horizon) +
                          " (must be >= 1)");
  if (!(config_.max_speed > 0) || !(config_.radius > 0))
    throw InvalidArgument("integrator2d: max_speed and radius must be > 0");
  if (config_.num_eval_tasks < 1)
    throw InvalidArgument("integrator2d: num_eval_tasks = " + std::to_string(config_.num_eval_tasks) +
                          " (must be >= 1)");
}

std::vector<std::string> Integrator2D::task_names() const {
  std::vector<std::string> names;
  for (int k = 0; k < config_.num_eval_tasks; ++k) {
    const double degrees = 360.0 * k / config_.num_eval_tasks;
    char buf[32];
    std::snprintf(buf, sizeof buf, "goal_%gdeg", degrees);
    names.emplace_back(buf);
  }
  return names;
}

std::vector<double> Integrator2D::task_vector(int index) const {
  if (index < 0 || index >= config_.num_eval_tasks)
    throw InvalidArgument("integrator2d: task index " + std::to_string(index) + " out of [0, " +
                          std::to_string(config_.num_eval_tasks) + ")");
  return evaluation_task(index, config_.num_eval_tasks, config_.radius);
}

bool Integrator2D::success() const {
  return std::hypot(state_[0] - goal_[0], state_[1] - goal_[1]) <= config_.success_radius;
}

const std::vector<double>& Integrator2D::reset(const std::vector<double>& task, std::uint64_t) {
  if (task.size() != 2) throw InvalidArgument("integrator2d: a task is a 2D goal position");
  goal_ = task;
  state_ = {0.0, 0.0};  // deterministic initial state: the origin
  return state_;
}

double Integrator2D::step(const std::vector<double>& action) {
  if (action.size() != 2) throw InvalidArgument("integrator2d: an action is a 2D velocity");
  std::vector<double> v = action;
  clip_norm(v, config_.max_speed);
  state_[0] += v[0];
  state_[1] += v[1];
  return -std::hypot(state_[0] - goal_[0], state_[1] - goal_[1]);
}

std::vector<double> Integrator2DExpert::act(const std::vector<double>& s,
                                            const std::vector<double>& goal) const {
  std::vector<double> a{config_.expert_gain * (goal[0] - s[0]), config_.expert_gain * (goal[1] - s[1])};
  clip_norm(a, config_.max_speed);
  return a;
}

}  // namespace amf
