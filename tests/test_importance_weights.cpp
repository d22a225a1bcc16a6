// Importance weights w_i(c): the right trajectory dominates, rows normalise, clipping holds,
// extreme inputs stay finite.
#include <gtest/gtest.h>

#include <cmath>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "prep/importance_weights.hpp"
#include "prep/relabelled_predictor.hpp"
#include "prep/pool_data.hpp"
#include "problem_fixture.hpp"

namespace {

using amf_test::OwnedProblem;

TEST(ImportanceWeights, TrajectoryOfTheSameTaskGetsTheLargestWeight) {
  const auto angles = amf_test::evenly_spaced(6);
  OwnedProblem op(angles, angles, {0.0});
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::evaluate_criterion(op.problem, *backend);
  const std::int64_t R = 6;
  for (std::int64_t c = 0; c < 6; ++c) {
    double sum = 0;
    std::int64_t best = 0;
    for (std::int64_t i = 0; i < R; ++i) {
      const double w = r.weights[c * R + i];
      EXPECT_TRUE(std::isfinite(w));
      EXPECT_GE(w, 0.0);
      sum += w;
      if (w > r.weights[c * R + best]) best = i;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_EQ(best, c) << "candidate " << c;
  }
}

TEST(ImportanceWeights, ClippedLogLikelihoodsStayInsideTheClipRange) {
  OwnedProblem op({0.0, 2.0, 4.0}, {1.0}, {0.0});
  op.problem.clip = {-3.0, 1.0};
  const auto pool = amf::detail::gather_pool(op.problem);
  const amf::detail::RbfKernel kernel(op.problem.kernel, 2, 2);
  const amf::detail::GpPosterior gp(kernel, op.problem.noise_variance, pool.X, pool.Y);
  amf::detail::RowMatrix P = pool.X;
  const double far_task[2] = {-5.0, 5.0};
  for (std::int64_t i = 0; i < 3; ++i) amf::detail::relabel_trajectory(pool, i, far_task, P, pool.offsets[i]);
  for (const amf::detail::RowMatrix* points : {&pool.X, static_cast<const amf::detail::RowMatrix*>(&P)}) {
    const Eigen::VectorXd sums = amf::detail::trajectory_log_likelihoods(gp, pool, *points, op.problem.noise_variance,
                                                                          op.problem.clip);
    for (std::int64_t i = 0; i < 3; ++i) {
      EXPECT_GE(sums(i), -3.0 * pool.steps(i) - 1e-12);
      EXPECT_LE(sums(i), 1.0 * pool.steps(i) + 1e-12);
    }
  }
}

TEST(ImportanceWeights, ExtremeInputsGiveFiniteWeightsAndScores) {
  OwnedProblem op({0.0, 1.0, 2.0}, {0.5, 3.0}, {0.0, 4.0});
  op.data = amf::Dataset(2, 2, 2);  // rebuilt with absurd actions in one trajectory
  amf::Integrator2DConfig cfg;
  cfg.horizon = 6;
  amf::Integrator2D env(cfg);
  amf::Integrator2DExpert expert(cfg);
  for (double a : {0.0, 1.0, 2.0}) {
    auto t = amf::demonstrate(env, expert, amf::goal_of_angle(a, 1.0), 0.05, 3);
    if (a == 1.0)
      for (double& v : t.actions) v *= 1e8;
    op.data.add(t);
  }
  op.rebuild();
  op.problem.noise_variance = 1e-12;  // a near-deterministic policy: log-probs of order 1e28
  op.problem.clip = {-50, 50};
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::evaluate_criterion(op.problem, *backend);
  for (double w : r.weights) EXPECT_TRUE(std::isfinite(w));
  for (double j : r.J) EXPECT_TRUE(std::isfinite(j));
  for (double g : r.info_gain) EXPECT_TRUE(std::isfinite(g));
}

TEST(Softmax, IsStableForHugeLogWeights) {
  double v[3] = {1e300, -1e300, 1e300};
  amf::detail::softmax_in_place(v, 3);
  EXPECT_DOUBLE_EQ(v[0], 0.5);
  EXPECT_DOUBLE_EQ(v[1], 0.0);
  EXPECT_DOUBLE_EQ(v[2], 0.5);
}

}  // namespace

namespace {

TEST(RelabelledPredictor, EqualsDirectPredictionAtRelabelledPoints) {
  OwnedProblem op({0.0, 0.9, 2.0, 3.3, 5.0}, {0.4}, {0.0}, 7);
  const auto pool = amf::detail::gather_pool(op.problem);
  const amf::detail::RbfKernel kernel(op.problem.kernel, 2, 2);
  const amf::detail::GpPosterior gp(kernel, op.problem.noise_variance, pool.X, pool.Y);
  const amf::detail::RelabelledPredictor fast(gp, pool, op.problem.kernel, 2);
  for (const double angle : {0.0, 1.3, 4.1}) {
    const auto task = amf::goal_of_angle(angle, 1.0);
    amf::detail::RowMatrix P = pool.X, mean, ref_mean;
    for (std::int64_t i = 0; i < 5; ++i) amf::detail::relabel_trajectory(pool, i, task.data(), P, pool.offsets[i]);
    Eigen::VectorXd var, ref_var;
    fast.predict(task.data(), &mean, &var);
    gp.predict(P, &ref_mean, &ref_var);
    EXPECT_LT((mean - ref_mean).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LT((var - ref_var).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(ImportanceWeights, TablesAndDirectPredictionGiveTheSameWeights) {
  OwnedProblem op(amf_test::evenly_spaced(9), amf_test::evenly_spaced(13, 0.2), {0.0});
  const auto pool = amf::detail::gather_pool(op.problem);
  const amf::detail::GpPosterior gp(amf::detail::RbfKernel(op.problem.kernel, 2, 2), op.problem.noise_variance,
                                    pool.X, pool.Y);
  const amf::detail::ImportanceWeights with_tables(gp, pool, op.problem, 2);
  const amf::detail::ImportanceWeights direct(gp, pool, op.problem, 1, /*table_budget_bytes=*/0);
  ASSERT_TRUE(with_tables.uses_tables());
  ASSERT_FALSE(direct.uses_tables());
  EXPECT_LT((with_tables(op.problem.candidates) - direct(op.problem.candidates)).cwiseAbs().maxCoeff(), 1e-10);
}

}  // namespace
