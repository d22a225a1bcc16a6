#pragma once
// Motion primitives of the scripted experts. Each returns the hand target for the current
// observation only (no remembered phase): the phase is read off the geometry (is the hand at the
// grip? above it? elsewhere?), so an expert recovers from any push its action noise gives it.
#include <array>
#include <vector>

#include "envs/mechanism.hpp"

namespace amf {
namespace envs {

using Vec2 = std::array<double, 2>;

// The action that moves the hand toward `target` as fast as the bound allows:
// clip((target - hand) / max_step, -1, 1) per coordinate.
std::vector<double> action_towards(const Vec3& hand, const Vec3& target, double max_step);

// Operating a mechanism: approach along `approach_dir` to a contact point next to the grip,
// then drive the grip along its path in `direction` (+1: joint value grows, -1: shrinks).
struct MechanismMotion {
  Mechanism mechanism;
  double direction = 1.0;
  // Distance from the grip point to the hand's centre, opposite to the motion: hand radius +
  // handle radius (+ a little) to push a lever or handle; 0 to pull from inside a hook handle.
  double contact_offset = 0.0;
  Vec3 approach_dir{0, 0, 1};    // unit: the side the hand comes in from (e.g. +z: from above)
  double approach_distance = 0.1;  // how far out along approach_dir the hand lines up first
  double lead = 0.03;              // metres ahead of the contact point the hand aims while driving
  // Joint value past which the task is done with margin: the hand backs out along approach_dir
  // instead of driving the mechanism into its joint limit.
  double stop_at = 0.0;
};
Vec3 operate_mechanism(const Vec3& hand, double joint_value, const MechanismMotion& motion);

// Pushing an upright cylinder that slides on the table to a goal: line up behind it (seen from
// the goal) at travel height, go down, push along the line through object and goal, lift off
// when it is there.
struct PushMotion {
  double object_radius = 0.035;
  double hand_radius = 0.02;
  double push_height = 0.04;    // hand height while pushing
  double travel_height = 0.15;  // hand height while moving around the object
  double step = 0.025;          // how far ahead of the contact the hand aims while pushing
  double done_radius = 0.01;    // object this close to the goal: lift off
};
Vec3 push_object(const Vec3& hand, const Vec2& object, const Vec2& goal, const PushMotion& motion);

}  // namespace envs
}  // namespace amf
