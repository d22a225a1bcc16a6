#pragma once
// What the MuJoCo scenes share: a position-controlled pusher (a mocap target with the hand welded
// to it, as Metaworld does), discrete one-hot tasks, seeded resets and frame skip.
//
// Action: 3 numbers in [-1, 1] (clipped), the hand's displacement in units of kMaxStep metres;
// the mocap target becomes (hand position + action * kMaxStep), clipped to the scene's workspace
// box, and the simulator then runs frame_skip physics steps. Relative to the measured hand
// position (not the previous target) so the target cannot run away while the hand is blocked.
// State: hand position (x, y, z), then the scene's object coordinates.
// Reward: 1 when the task's success criterion holds after the step, else 0.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "amf/harness/environment.hpp"
#include "envs/mujoco_scene.hpp"

namespace amf {
namespace envs {

struct SceneConfig {
  std::string name;        // the environment's name
  std::string scene_file;  // file name looked up by find_scene_file when no explicit path is given
  std::vector<std::string> tasks;
  int horizon = 100;
  int frame_skip = 10;                  // physics steps per env step
  Vec3 workspace_lo{}, workspace_hi{};  // box the hand target is clipped to
  Vec3 hand_start{};                    // mean initial hand position
  double hand_start_jitter = 0.03;      // initial hand position: uniform +- this per coordinate
};

// Uniform in [lo, hi) from the top 53 bits of the generator: bit-identical on every platform
// (std::uniform_real_distribution is implementation-defined).
double uniform(std::mt19937_64& rng, double lo, double hi);

// The index of a one-hot task vector of `num_tasks` entries; throws InvalidArgument otherwise.
int one_hot_index(const std::vector<double>& task, int num_tasks, const std::string& env_name);

class MujocoTaskEnv : public Environment {
 public:
  static constexpr double kMaxStep = 0.025;  // metres of hand motion per env step at |a_i| = 1

  // Loads `scene_path`, or the config's scene file (find_scene_file) when it is empty.
  MujocoTaskEnv(SceneConfig config, const std::string& scene_path);

  std::string name() const override { return config_.name; }
  int action_dim() const override { return 3; }
  int task_dim() const override { return num_tasks(); }
  int horizon() const override { return config_.horizon; }
  int num_tasks() const override { return static_cast<int>(config_.tasks.size()); }
  std::vector<std::string> task_names() const override { return config_.tasks; }
  std::vector<double> task_vector(int index) const override;
  const std::vector<double>& reset(const std::vector<double>& task, std::uint64_t seed) override;
  double step(const std::vector<double>& action) override;
  const std::vector<double>& state() const override { return state_; }
  bool success() const override { return task_success(task_); }

  int current_task() const { return task_; }
  const SceneConfig& config() const { return config_; }
  MujocoScene& scene() { return *scene_; }
  const MujocoScene& scene() const { return *scene_; }
  // The hand (pusher sphere) radius, read from the scene.
  double hand_radius() const;

 protected:
  // Sets the scene's object joints for a new episode (after mj_resetData; hand already placed).
  virtual void randomise_objects(std::mt19937_64& rng) = 0;
  // Appends the object coordinates of the state observation.
  virtual void observe_objects(std::vector<double>& out) const = 0;
  virtual bool task_success(int task) const = 0;
  double qpos(int address) const { return scene_->data()->qpos[address]; }
  void set_qpos(int address, double value) { scene_->data()->qpos[address] = value; }

 private:
  void observe();

  SceneConfig config_;
  std::unique_ptr<MujocoScene> scene_;
  int hand_body_ = -1;
  int hand_qpos_ = -1;
  int task_ = 0;
  std::vector<double> state_;
};

}  // namespace envs
}  // namespace amf
