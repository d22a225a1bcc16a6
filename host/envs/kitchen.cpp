#include "envs/kitchen.hpp"

namespace amf {
namespace envs {
namespace {

SceneConfig kitchen_config() {
  SceneConfig c;
  c.name = "kitchen";
  c.scene_file = "kitchen.xml";
  c.tasks = {"knob_on", "knob_off", "hinged_cabinet_open", "sliding_cabinet_open", "microwave_open"};
  c.horizon = 100;
  c.frame_skip = 10;
  c.workspace_lo = {-0.6, 0.3, 0.03};
  c.workspace_hi = {0.7, 0.9, 0.7};
  c.hand_start = {0.0, 0.45, 0.32};
  c.hand_start_jitter = 0.04;
  return c;
}

constexpr double kHandleRadius = 0.01;  // every lever and handle bar in kitchen.xml

}  // namespace

Kitchen::Kitchen(const std::string& scene_path) : MujocoTaskEnv(kitchen_config(), scene_path) {
  MujocoScene& s = scene();
  knob_q_ = s.qpos_address("knob");
  hinged_q_ = s.qpos_address("hinged_door");
  sliding_q_ = s.qpos_address("sliding_door");
  microwave_q_ = s.qpos_address("microwave_door");
  knob_ = read_mechanism(s, "knob", "knob_grip");
  hinged_ = read_mechanism(s, "hinged_door", "hinged_grip");
  sliding_ = read_mechanism(s, "sliding_door", "sliding_grip");
  microwave_ = read_mechanism(s, "microwave_door", "microwave_grip");
}

void Kitchen::randomise_objects(std::mt19937_64& rng) {
  set_qpos(knob_q_, uniform(rng, -0.15, 0.15));
  set_qpos(hinged_q_, uniform(rng, 0.0, 0.08));
  set_qpos(sliding_q_, uniform(rng, 0.0, 0.03));
  set_qpos(microwave_q_, uniform(rng, 0.0, 0.08));
}

void Kitchen::observe_objects(std::vector<double>& out) const {
  out.push_back(qpos(knob_q_));
  out.push_back(qpos(hinged_q_));
  out.push_back(qpos(sliding_q_));
  out.push_back(qpos(microwave_q_));
}

bool Kitchen::task_success(int task) const {
  const std::vector<double>& s = state();
  switch (task) {
    case 0: return s[3] >= kKnobTurned;
    case 1: return s[3] <= -kKnobTurned;
    case 2: return s[4] >= kDoorOpen;
    case 3: return s[5] >= kSlideOpen;
    default: return s[6] >= kDoorOpen;
  }
}

KitchenExpert::KitchenExpert(const Kitchen& env) : num_tasks_(env.num_tasks()) {
  const double push_offset = env.hand_radius() + kHandleRadius + 0.003;
  MechanismMotion& on = motions_[0];
  on.mechanism = env.knob();
  on.direction = 1.0;
  on.contact_offset = push_offset;  // below the lever, pushing it up
  on.approach_dir = {0, -1, 0};     // from the front: the lever sits before a panel
  on.approach_distance = 0.08;
  on.stop_at = Kitchen::kKnobTurned + 0.2;
  motions_[1] = on;
  motions_[1].direction = -1.0;     // above the lever, pushing it down
  motions_[1].stop_at = -on.stop_at;

  // Hook handles: the grip site is the middle of the slot between handle and door, so the hand
  // drops into it from above and pulls (no offset).
  MechanismMotion& hinged = motions_[2];
  hinged.mechanism = env.hinged_door();
  hinged.contact_offset = 0.0;
  hinged.approach_dir = {0, 0, 1};
  hinged.approach_distance = 0.1;
  hinged.stop_at = Kitchen::kDoorOpen + 0.3;
  motions_[4] = hinged;
  motions_[4].mechanism = env.microwave_door();

  MechanismMotion& slide = motions_[3];
  slide.mechanism = env.sliding_door();
  slide.contact_offset = push_offset;  // left of the handle, pushing it to +x
  slide.approach_dir = {0, -1, 0};
  slide.approach_distance = 0.08;
  slide.stop_at = Kitchen::kSlideOpen + 0.05;
}

std::vector<double> KitchenExpert::act(const std::vector<double>& s, const std::vector<double>& task) const {
  const int t = one_hot_index(task, num_tasks_, "kitchen");
  const Vec3 hand{s[0], s[1], s[2]};
  const double joint_value = s[3 + (t == 0 ? 0 : t - 1)];
  return action_towards(hand, operate_mechanism(hand, joint_value, motions_[t]), Kitchen::kMaxStep);
}

}  // namespace envs
}  // namespace amf
