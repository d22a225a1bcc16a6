// Bad input gives amf::InvalidArgument naming the field, never a crash or a NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "amf/harness/study.hpp"
#include "problem_fixture.hpp"

namespace {

using amf_test::OwnedProblem;

void expect_error_naming(const std::function<void(OwnedProblem&)>& corrupt, const std::string& field) {
  OwnedProblem op({0.0, 1.0, 2.0}, {0.5, 1.5}, {0.0, 3.0});
  op.problem.batch_size = 1;
  corrupt(op);
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  try {
    amf::select_batch(op.problem, *backend);
    ADD_FAILURE() << "no error for a bad " << field;
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << "message: " << e.what();
  }
}

TEST(Validation, NegativeOrZeroHyperparameters) {
  expect_error_naming([](auto& op) { op.problem.noise_variance = -1e-3; }, "noise_variance");
  expect_error_naming([](auto& op) { op.problem.noise_variance = 0; }, "noise_variance");
  expect_error_naming([](auto& op) { op.problem.kernel.state_lengthscale = -1; }, "state_lengthscale");
  expect_error_naming([](auto& op) { op.problem.kernel.task_lengthscale = 0; }, "task_lengthscale");
  expect_error_naming([](auto& op) { op.problem.kernel.signal_variance = NAN; }, "signal_variance");
  expect_error_naming([](auto& op) { op.problem.clip = {1, -1}; }, "clip");
  expect_error_naming([](auto& op) { op.problem.batch_size = 0; }, "batch_size");
  expect_error_naming([](auto& op) { op.problem.min_weight = 1.5; }, "min_weight");
}

TEST(Validation, EmptySets) {
  expect_error_naming([](auto& op) { op.problem.candidates.rows = 0; }, "candidate set is empty");
  expect_error_naming([](auto& op) { op.problem.targets.rows = 0; }, "target set is empty");
  expect_error_naming([](auto& op) { op.problem.traj_offsets.size = 1; }, "pool is empty");
}

TEST(Validation, NaNInAnyArrayIsNamedWithItsIndex) {
  expect_error_naming([](auto& op) { const_cast<double*>(op.problem.pool_states.data)[5] = NAN; }, "pool_states[2][1]");
  expect_error_naming([](auto& op) { const_cast<double*>(op.problem.pool_actions.data)[0] = INFINITY; }, "pool_actions[0][0]");
  expect_error_naming([](auto& op) { op.candidates[3] = NAN; }, "candidates[1][1]");
  expect_error_naming([](auto& op) { op.targets[0] = NAN; }, "targets[0][0]");
  expect_error_naming([](auto& op) { op.probs[0] = NAN; }, "target_probs[0]");
  expect_error_naming([](auto& op) { const_cast<double*>(op.problem.pool_tasks.data)[1] = NAN; }, "pool_tasks[0][1]");
}

TEST(Validation, MismatchedShapes) {
  expect_error_naming([](auto& op) { op.problem.pool_actions.rows -= 1; }, "pool_actions has shape");
  expect_error_naming([](auto& op) { op.problem.candidates.cols = 3; op.problem.candidates.row_stride = 3; }, "candidates has shape");
  expect_error_naming([](auto& op) { op.problem.targets.cols = 1; }, "targets has shape");
  expect_error_naming([](auto& op) { op.problem.target_probs.size = 1; }, "target_probs has 1 entries");
  expect_error_naming([](auto& op) { op.probs = {0.7, 0.7}; op.rebuild(); }, "target_probs sum");
  expect_error_naming([](auto& op) { op.problem.pool_tasks.rows = 2; }, "pool_tasks has shape");
}

TEST(Validation, HorizonZeroAndBadOffsets) {
  std::vector<std::int64_t> offsets;
  expect_error_naming([&](auto& op) {
    offsets.assign(op.problem.traj_offsets.data, op.problem.traj_offsets.data + 4);
    offsets[1] = 0;  // trajectory 0 has no steps
    op.problem.traj_offsets = amf::VectorView<std::int64_t>(offsets);
  }, "trajectory 0 has 0 steps");
  amf::Integrator2DConfig cfg;
  cfg.horizon = 0;
  EXPECT_THROW(amf::Integrator2D env(cfg), amf::InvalidArgument);
  amf::Dataset d(2, 2, 2);
  EXPECT_THROW(d.add(amf::Trajectory{{1.0, 0.0}, {}, {}}), amf::InvalidArgument);
}

TEST(Validation, StudyConfigNamesTheField) {
  auto expect_named = [](const std::function<void(amf::GpStudyConfig&)>& corrupt, const std::string& field) {
    amf::GpStudyConfig c = amf::gp_study_preset("default");
    corrupt(c);
    try {
      amf::validate(c);
      ADD_FAILURE() << "no error for a bad " << field;
    } catch (const amf::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_named([](auto& c) { c.k_values = {0}; }, "'run.k_values' = 0");
  expect_named([](auto& c) { c.k_values = {13}; }, "'run.k_values' = 13");
  expect_named([](auto& c) { c.env.horizon = 0; }, "horizon");
  expect_named([](auto& c) { c.noise_variance = -1; }, "noise_variance");
  expect_named([](auto& c) { c.kernel.state_lengthscale = -2; }, "state_lengthscale");
  expect_named([](auto& c) { c.methods = {"random"}; }, "'random' is unknown");
  expect_named([](auto& c) { c.backend = "tpu"; }, "backend 'tpu'");
  EXPECT_THROW(amf::gp_study_preset("huge"), amf::InvalidArgument);
}

}  // namespace
