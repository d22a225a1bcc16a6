#include "envs/mujoco_task_env.hpp"

#include <algorithm>
#include <cmath>

#include "amf/error.hpp"

namespace amf {
namespace envs {

double uniform(std::mt19937_64& rng, double lo, double hi) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * u;
}

int one_hot_index(const std::vector<double>& task, int num_tasks, const std::string& env_name) {
  int hot = -1;
  bool valid = static_cast<int>(task.size()) == num_tasks;
  for (int i = 0; valid && i < num_tasks; ++i) {
    if (task[i] == 1.0 && hot < 0) hot = i;
    else if (task[i] != 0.0) valid = false;
  }
  if (!valid || hot < 0)
    throw InvalidArgument(env_name + ": a task vector is one-hot with " + std::to_string(num_tasks) +
                          " entries (got " + std::to_string(task.size()) + " entries, not one-hot)");
  return hot;
}

MujocoTaskEnv::MujocoTaskEnv(SceneConfig config, const std::string& scene_path)
    : config_(std::move(config)),
      scene_(std::make_unique<MujocoScene>(scene_path.empty() ? find_scene_file(config_.scene_file)
                                                              : scene_path)) {
  hand_body_ = scene_->id(mjOBJ_BODY, "hand");
  hand_qpos_ = scene_->qpos_address("hand_free");
  scene_->id(mjOBJ_BODY, "hand_target");
  if (scene_->model()->nmocap != 1)
    throw InvalidArgument("scene file '" + scene_->path() + "' must have exactly one mocap body (hand_target)");
}

double MujocoTaskEnv::hand_radius() const {
  return scene_->model()->geom_size[3 * scene_->id(mjOBJ_GEOM, "pusher")];
}

std::vector<double> MujocoTaskEnv::task_vector(int index) const {
  if (index < 0 || index >= num_tasks())
    throw InvalidArgument(name() + ": task index " + std::to_string(index) + " out of [0, " +
                          std::to_string(num_tasks()) + ")");
  std::vector<double> v(num_tasks(), 0.0);
  v[index] = 1.0;
  return v;
}

const std::vector<double>& MujocoTaskEnv::reset(const std::vector<double>& task, std::uint64_t seed) {
  task_ = one_hot_index(task, num_tasks(), name());
  mjModel* m = scene_->model();
  mjData* d = scene_->data();
  mj_resetData(m, d);
  std::mt19937_64 rng(seed);
  double* hand = d->qpos + hand_qpos_;  // free joint: position then quaternion
  for (int i = 0; i < 3; ++i) {
    hand[i] = config_.hand_start[i] + uniform(rng, -config_.hand_start_jitter, config_.hand_start_jitter);
    d->mocap_pos[i] = hand[i];
  }
  hand[3] = 1.0;
  hand[4] = hand[5] = hand[6] = 0.0;
  randomise_objects(rng);
  mj_forward(m, d);
  observe();
  return state_;
}

double MujocoTaskEnv::step(const std::vector<double>& action) {
  if (static_cast<int>(action.size()) != action_dim())
    throw InvalidArgument(name() + ": an action has 3 entries (hand displacement), got " +
                          std::to_string(action.size()));
  mjModel* m = scene_->model();
  mjData* d = scene_->data();
  for (int i = 0; i < 3; ++i) {
    const double a = std::isfinite(action[i]) ? std::clamp(action[i], -1.0, 1.0) : 0.0;
    const double target = d->xpos[3 * hand_body_ + i] + a * kMaxStep;
    d->mocap_pos[i] = std::clamp(target, config_.workspace_lo[i], config_.workspace_hi[i]);
  }
  for (int k = 0; k < config_.frame_skip; ++k) mj_step(m, d);
  mj_kinematics(m, d);  // positions (xpos) of the final qpos: mj_step leaves those of the one before
  observe();
  return success() ? 1.0 : 0.0;
}

void MujocoTaskEnv::observe() {
  state_.clear();
  const mjData* d = scene_->data();
  for (int i = 0; i < 3; ++i) state_.push_back(d->xpos[3 * hand_body_ + i]);
  observe_objects(state_);
}

}  // namespace envs
}  // namespace amf
