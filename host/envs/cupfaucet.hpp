#pragma once
// "cupfaucet" (the paper's Metaworld scene): a pusher, a cup on a table, a faucet with a lever.
// Tasks: cup_to_a, cup_to_b (push the cup onto goal A at x = -0.18 or B at x = +0.18),
// faucet_open (turn the lever to >= +0.7 rad), faucet_close (to <= -0.7 rad).
// State (6): hand x, y, z; cup x, y; faucet lever angle. Horizon 80 steps of 40 ms.
// Initial state (uniform, from the seed): hand (0, 0.40, 0.25) +- 0.03 per coordinate; cup centre
// x in [-0.06, 0.06], y in [0.52, 0.60]; lever angle in [-0.1, 0.1] rad.
#include <string>

#include "envs/mujoco_task_env.hpp"
#include "envs/waypoint_expert.hpp"

namespace amf {
namespace envs {

class CupFaucet final : public MujocoTaskEnv {
 public:
  static constexpr double kGoalRadius = 0.03;     // cup centre within this of the goal
  static constexpr double kFaucetTurned = 0.7;    // rad

  explicit CupFaucet(const std::string& scene_path = "");
  int state_dim() const override { return 6; }
  Vec2 goal(int which) const { return which == 0 ? goal_a_ : goal_b_; }
  double cup_radius() const { return cup_radius_; }
  const Mechanism& faucet() const { return faucet_; }

 protected:
  void randomise_objects(std::mt19937_64& rng) override;
  void observe_objects(std::vector<double>& out) const override;
  bool task_success(int task) const override;

 private:
  int cup_x_, cup_y_, faucet_q_;
  double cup_x0_, cup_y0_;  // the cup body's position at qpos 0 (the slide joints add to it)
  double cup_radius_;
  Vec2 goal_a_, goal_b_;
  Mechanism faucet_;
};

class CupFaucetExpert final : public Expert {
 public:
  explicit CupFaucetExpert(const CupFaucet& env);
  std::vector<double> act(const std::vector<double>& state, const std::vector<double>& task) const override;

 private:
  int num_tasks_;
  Vec2 goals_[2];
  PushMotion push_;
  MechanismMotion open_, close_;
};

}  // namespace envs
}  // namespace amf
