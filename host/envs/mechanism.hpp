#pragma once
// A one-joint mechanism (a hinge or a slide) with a grip point on it, read from a scene at its
// reference pose. Experts use it to know where the grip is for any joint value without asking
// the simulator, so they stay functions of the observed state alone.
#include <string>

#include "envs/mujoco_scene.hpp"

namespace amf {
namespace envs {

struct Mechanism {
  bool hinge = true;
  Vec3 anchor{};  // a point on the joint axis (world)
  Vec3 axis{};    // unit joint axis (world)
  Vec3 grip0{};   // the grip point (world) at joint value 0

  // The grip point at joint value q.
  Vec3 grip_at(double q) const;
  // The unit direction the grip point moves in as q grows.
  Vec3 tangent_at(double q) const;
  // The joint increment that moves the grip point by `metres` along its path.
  double joint_step(double metres) const;
};

// Reads joint `joint` and site `grip_site` of `scene` at the model's reference pose (qpos0).
// Uses the scene's mjData as scratch: call before any episode starts.
Mechanism read_mechanism(MujocoScene& scene, const std::string& joint, const std::string& grip_site);

}  // namespace envs
}  // namespace amf
