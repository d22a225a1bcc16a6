#pragma once
// "kitchen" (the paper's FrankaKitchen): a pusher before a counter with a knob, a hinged
// cabinet, a sliding cabinet and a microwave.
// Tasks and success: knob_on (knob angle >= 0.8 rad), knob_off (<= -0.8 rad),
// hinged_cabinet_open (door angle >= 0.8 rad), sliding_cabinet_open (door slid >= 0.12 m),
// microwave_open (door angle >= 0.8 rad).
// State (7): hand x, y, z; knob angle; hinged door angle; sliding door offset; microwave door angle.
// Horizon 100 steps of 40 ms.
// Initial state (uniform, from the seed): hand (0, 0.45, 0.32) +- 0.04 per coordinate; knob in
// [-0.15, 0.15] rad; hinged and microwave doors in [0, 0.08] rad; sliding door in [0, 0.03] m.
#include <string>

#include "envs/mujoco_task_env.hpp"
#include "envs/waypoint_expert.hpp"

namespace amf {
namespace envs {

class Kitchen final : public MujocoTaskEnv {
 public:
  static constexpr double kKnobTurned = 0.8;   // rad
  static constexpr double kDoorOpen = 0.8;     // rad
  static constexpr double kSlideOpen = 0.12;   // m

  explicit Kitchen(const std::string& scene_path = "");
  int state_dim() const override { return 7; }
  const Mechanism& knob() const { return knob_; }
  const Mechanism& hinged_door() const { return hinged_; }
  const Mechanism& sliding_door() const { return sliding_; }
  const Mechanism& microwave_door() const { return microwave_; }

 protected:
  void randomise_objects(std::mt19937_64& rng) override;
  void observe_objects(std::vector<double>& out) const override;
  bool task_success(int task) const override;

 private:
  int knob_q_, hinged_q_, sliding_q_, microwave_q_;
  Mechanism knob_, hinged_, sliding_, microwave_;
};

class KitchenExpert final : public Expert {
 public:
  explicit KitchenExpert(const Kitchen& env);
  std::vector<double> act(const std::vector<double>& state, const std::vector<double>& task) const override;

 private:
  int num_tasks_;
  MechanismMotion motions_[5];  // one per task, in task order
};

}  // namespace envs
}  // namespace amf
