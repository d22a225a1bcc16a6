#include "envs/mechanism.hpp"

#include <algorithm>
#include <cmath>

namespace amf {
namespace envs {
namespace {

Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// Rodrigues: v rotated by angle q about the unit axis k.
Vec3 rotate(const Vec3& v, const Vec3& k, double q) {
  const double c = std::cos(q), s = std::sin(q);
  const Vec3 kxv = cross(k, v);
  const double kv = dot(k, v) * (1 - c);
  return {v[0] * c + kxv[0] * s + k[0] * kv, v[1] * c + kxv[1] * s + k[1] * kv,
          v[2] * c + kxv[2] * s + k[2] * kv};
}

Vec3 unit(const Vec3& v) {
  const double n = std::sqrt(dot(v, v));
  return {v[0] / n, v[1] / n, v[2] / n};
}

}  // namespace

Vec3 Mechanism::grip_at(double q) const {
  if (!hinge) return {grip0[0] + axis[0] * q, grip0[1] + axis[1] * q, grip0[2] + axis[2] * q};
  const Vec3 r = rotate(sub(grip0, anchor), axis, q);
  return {anchor[0] + r[0], anchor[1] + r[1], anchor[2] + r[2]};
}

Vec3 Mechanism::tangent_at(double q) const {
  if (!hinge) return axis;
  return unit(cross(axis, rotate(sub(grip0, anchor), axis, q)));
}

double Mechanism::joint_step(double metres) const {
  if (!hinge) return metres;
  const Vec3 r = sub(grip0, anchor);
  const double along = dot(r, axis);
  const double radius = std::sqrt(std::max(dot(r, r) - along * along, 1e-12));
  return metres / radius;
}

Mechanism read_mechanism(MujocoScene& scene, const std::string& joint, const std::string& grip_site) {
  const int j = scene.id(mjOBJ_JOINT, joint);
  const int s = scene.id(mjOBJ_SITE, grip_site);
  mj_resetData(scene.model(), scene.data());
  mj_forward(scene.model(), scene.data());
  const mjData* d = scene.data();
  Mechanism m;
  m.hinge = scene.model()->jnt_type[j] == mjJNT_HINGE;
  for (int i = 0; i < 3; ++i) {
    m.anchor[i] = d->xanchor[3 * j + i];
    m.axis[i] = d->xaxis[3 * j + i];
    m.grip0[i] = d->site_xpos[3 * s + i];
  }
  m.axis = unit(m.axis);
  return m;
}

}  // namespace envs
}  // namespace amf
