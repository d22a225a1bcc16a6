#include "envs/waypoint_expert.hpp"

#include <algorithm>
#include <cmath>

namespace amf {
namespace envs {
namespace {

Vec3 along(const Vec3& p, const Vec3& dir, double t) {
  return {p[0] + dir[0] * t, p[1] + dir[1] * t, p[2] + dir[2] * t};
}
double distance(const Vec3& a, const Vec3& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}
// Distance from p to the segment from a to a + len * dir (dir unit).
double distance_to_segment(const Vec3& p, const Vec3& a, const Vec3& dir, double len) {
  const double t = std::clamp((p[0] - a[0]) * dir[0] + (p[1] - a[1]) * dir[1] + (p[2] - a[2]) * dir[2], 0.0, len);
  return distance(p, along(a, dir, t));
}

// Tolerances of the phase tests. The hand tracks its target to a few millimetres and the
// demonstration noise moves it by about 2.5 mm a step, so these leave a margin on both.
constexpr double kEngaged = 0.035;  // hand this close to the contact point: drive the mechanism
constexpr double kOnLine = 0.01;    // hand this close to the approach line: move in along it

}  // namespace

std::vector<double> action_towards(const Vec3& hand, const Vec3& target, double max_step) {
  std::vector<double> a(3);
  for (int i = 0; i < 3; ++i) a[i] = std::clamp((target[i] - hand[i]) / max_step, -1.0, 1.0);
  return a;
}

Vec3 operate_mechanism(const Vec3& hand, double q, const MechanismMotion& m) {
  auto contact = [&m](double joint_value) {
    return along(m.mechanism.grip_at(joint_value), m.mechanism.tangent_at(joint_value),
                 -m.direction * m.contact_offset);
  };
  const Vec3 c = contact(q);
  if (m.direction * (q - m.stop_at) >= 0) return along(c, m.approach_dir, m.approach_distance);
  if (distance(hand, c) < kEngaged) return contact(q + m.direction * m.mechanism.joint_step(m.lead));
  if (distance_to_segment(hand, c, m.approach_dir, m.approach_distance) < kOnLine) return c;
  return along(c, m.approach_dir, m.approach_distance);
}

Vec3 push_object(const Vec3& hand, const Vec2& object, const Vec2& goal, const PushMotion& m) {
  const double gx = goal[0] - object[0], gy = goal[1] - object[1];
  const double to_goal = std::hypot(gx, gy);
  if (to_goal < m.done_radius) return {hand[0], hand[1], m.travel_height};
  const double ux = gx / to_goal, uy = gy / to_goal;  // push direction
  const double touch = m.object_radius + m.hand_radius;
  // Where the hand lines up: behind the object, with 1.5 cm of clearance.
  const Vec3 behind{object[0] - ux * (touch + 0.015), object[1] - uy * (touch + 0.015), m.push_height};
  // The hand relative to the object, split along and across the push direction.
  const double rx = hand[0] - object[0], ry = hand[1] - object[1];
  const double ahead = rx * ux + ry * uy;
  const double across = std::abs(-rx * uy + ry * ux);
  const bool low = hand[2] < m.push_height + 0.02;
  if (low && ahead > -(touch + 0.03) && ahead < -(touch - 0.01) && across < 0.015) {
    // Pushing: aim at the contact point moved forward, on the line through object and goal,
    // so a sideways drift of the object is corrected as it happens.
    const double advance = std::min(m.step, to_goal);
    return {object[0] + ux * (advance - touch), object[1] + uy * (advance - touch), m.push_height};
  }
  const double off_line = std::hypot(hand[0] - behind[0], hand[1] - behind[1]);
  if (off_line < 0.012) return behind;  // above the line-up point: go down
  if (hand[2] < m.travel_height - 0.02 && off_line > 0.03)
    return {hand[0], hand[1], m.travel_height};  // low and elsewhere: lift before moving over
  return {behind[0], behind[1], m.travel_height};
}

}  // namespace envs
}  // namespace amf
