#include "envs/cupfaucet.hpp"

#include <cmath>

namespace amf {
namespace envs {
namespace {

SceneConfig cupfaucet_config() {
  SceneConfig c;
  c.name = "cupfaucet";
  c.scene_file = "cupfaucet.xml";
  c.tasks = {"cup_to_a", "cup_to_b", "faucet_open", "faucet_close"};
  c.horizon = 80;
  c.frame_skip = 10;
  c.workspace_lo = {-0.4, 0.3, 0.025};
  c.workspace_hi = {0.4, 0.9, 0.4};
  c.hand_start = {0.0, 0.40, 0.25};
  c.hand_start_jitter = 0.03;
  return c;
}

}  // namespace

CupFaucet::CupFaucet(const std::string& scene_path) : MujocoTaskEnv(cupfaucet_config(), scene_path) {
  MujocoScene& s = scene();
  cup_x_ = s.qpos_address("cup_x");
  cup_y_ = s.qpos_address("cup_y");
  faucet_q_ = s.qpos_address("faucet");
  const int cup = s.id(mjOBJ_BODY, "cup");
  cup_x0_ = s.model()->body_pos[3 * cup];
  cup_y0_ = s.model()->body_pos[3 * cup + 1];
  cup_radius_ = s.model()->geom_size[3 * s.id(mjOBJ_GEOM, "cup")];
  const double* a = s.model()->site_pos + 3 * s.id(mjOBJ_SITE, "goal_a");
  const double* b = s.model()->site_pos + 3 * s.id(mjOBJ_SITE, "goal_b");
  goal_a_ = {a[0], a[1]};
  goal_b_ = {b[0], b[1]};
  faucet_ = read_mechanism(s, "faucet", "faucet_grip");
}

void CupFaucet::randomise_objects(std::mt19937_64& rng) {
  set_qpos(cup_x_, uniform(rng, -0.06, 0.06) - cup_x0_);
  set_qpos(cup_y_, uniform(rng, 0.52, 0.60) - cup_y0_);
  set_qpos(faucet_q_, uniform(rng, -0.1, 0.1));
}

void CupFaucet::observe_objects(std::vector<double>& out) const {
  out.push_back(cup_x0_ + qpos(cup_x_));
  out.push_back(cup_y0_ + qpos(cup_y_));
  out.push_back(qpos(faucet_q_));
}

bool CupFaucet::task_success(int task) const {
  const std::vector<double>& s = state();
  switch (task) {
    case 0:
    case 1: {
      const Vec2 g = goal(task);
      return std::hypot(s[3] - g[0], s[4] - g[1]) <= kGoalRadius;
    }
    case 2: return s[5] >= kFaucetTurned;
    default: return s[5] <= -kFaucetTurned;
  }
}

CupFaucetExpert::CupFaucetExpert(const CupFaucet& env)
    : num_tasks_(env.num_tasks()), goals_{env.goal(0), env.goal(1)} {
  push_.object_radius = env.cup_radius();
  push_.hand_radius = env.hand_radius();
  push_.push_height = 0.04;
  push_.travel_height = 0.15;
  push_.step = CupFaucet::kMaxStep;
  open_.mechanism = env.faucet();
  open_.direction = 1.0;
  open_.contact_offset = env.hand_radius() + 0.011 + 0.003;  // hand + lever radius + a gap
  open_.approach_dir = {0, 0, 1};  // from above
  open_.approach_distance = 0.1;
  open_.lead = 0.03;
  open_.stop_at = CupFaucet::kFaucetTurned + 0.2;
  close_ = open_;
  close_.direction = -1.0;
  close_.stop_at = -open_.stop_at;
}

std::vector<double> CupFaucetExpert::act(const std::vector<double>& s, const std::vector<double>& task) const {
  const int t = one_hot_index(task, num_tasks_, "cupfaucet");
  const Vec3 hand{s[0], s[1], s[2]};
  Vec3 target;
  if (t < 2) target = push_object(hand, {s[3], s[4]}, goals_[t], push_);
  else target = operate_mechanism(hand, s[5], t == 2 ? open_ : close_);
  return action_towards(hand, target, CupFaucet::kMaxStep);
}

}  // namespace envs
}  // namespace amf
