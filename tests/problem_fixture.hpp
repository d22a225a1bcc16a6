#pragma once
// Test helper: a CriterionProblem together with the arrays it views, built from integrator
// demonstrations so the numbers look like the study's.
#include <cmath>
#include <memory>
#include <vector>

#include "amf/dataset.hpp"
#include "amf/harness/integrator2d.hpp"
#include "amf/problem.hpp"

namespace amf_test {

struct OwnedProblem {
  amf::Dataset data{2, 2, 2};
  std::vector<double> candidates, targets, probs;
  std::unique_ptr<amf::PoolArrays> pool;
  amf::CriterionProblem problem;

  // Pool: one noisy expert demonstration per angle; candidates and targets given as angles.
  OwnedProblem(const std::vector<double>& demo_angles, const std::vector<double>& candidate_angles,
               const std::vector<double>& target_angles, int horizon = 6, double noise_std = 0.05) {
    amf::Integrator2DConfig cfg;
    cfg.horizon = horizon;
    amf::Integrator2D env(cfg);
    amf::Integrator2DExpert expert(cfg);
    for (std::size_t i = 0; i < demo_angles.size(); ++i)
      data.add(amf::demonstrate(env, expert, amf::goal_of_angle(demo_angles[i], 1.0), noise_std, 17 + i));
    for (double a : candidate_angles) append(candidates, a);
    for (double a : target_angles) {
      append(targets, a);
      probs.push_back(1.0 / target_angles.size());
    }
    rebuild();
    problem.noise_variance = noise_std * noise_std;
    problem.kernel = {0.5, 0.5, 0.1};
  }

  // Points the problem's views at the current arrays (call after changing them).
  void rebuild() {
    pool = std::make_unique<amf::PoolArrays>(data);
    pool->attach(problem);
    problem.candidates = amf::MatrixView<double>(candidates.data(), candidates.size() / 2, 2);
    problem.targets = amf::MatrixView<double>(targets.data(), targets.size() / 2, 2);
    problem.target_probs = amf::VectorView<double>(probs);
  }

  static void append(std::vector<double>& v, double angle) {
    const auto g = amf::goal_of_angle(angle, 1.0);
    v.insert(v.end(), g.begin(), g.end());
  }
};

inline std::vector<double> evenly_spaced(int n, double start = 0.0, double span = 6.283185307179586) {
  std::vector<double> a(n);
  for (int i = 0; i < n; ++i) a[i] = start + span * i / n;
  return a;
}

}  // namespace amf_test
