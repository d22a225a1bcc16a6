// Target features for the target occupancy's points only (FeatureCriterionProblem::
// target_feature_rows): amf::kept_target_steps names the (target, pool step) points from the
// log-probabilities alone; features for just those points, stored in another order, give exactly
// the dense layout's results on the CPU backend; a missing or bad row is named.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "compact_target_features.hpp"
#include "feature_problem_fixture.hpp"

namespace {

using amf_test::CompactTargets;

// Pruning on: min_weight keeps a few trajectories per target, and one target has probability 0.
struct PrunedProblem {
  amf_test::OwnedFeatureProblem op;
  std::vector<double> probs{0.5, 0.0, 0.25, 0.25};
  explicit PrunedProblem(bool factorised) : op(6, 5, 9, 4, factorised, 5) {
    op.problem.target_probs = amf::VectorView<double>(probs);
    op.problem.min_weight = 0.05;
    op.problem.batch_size = 3;
  }
};

class SparseTargetFeatures : public ::testing::TestWithParam<bool> {};

TEST_P(SparseTargetFeatures, GiveTheDenseResultsExactly) {
  PrunedProblem pp(GetParam());
  const amf::FeatureCriterionProblem& dense_problem = pp.op.problem;
  const CompactTargets c(dense_problem);
  const std::int64_t K = dense_problem.target_logp.rows, n = dense_problem.target_logp.cols;
  EXPECT_LT(c.rows, K * n) << "pruning should leave some target points out";
  for (const std::int64_t step : c.kept) EXPECT_NE(step / n, 1) << "target 1 has probability 0";
  EXPECT_TRUE(std::is_sorted(c.kept.begin(), c.kept.end()));
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  const auto dense = amf::select_batch(dense_problem, *cpu);
  const auto sparse = amf::select_batch(c.p, *cpu);
  EXPECT_EQ(dense.num_target_points, c.rows) << "the kept steps are the occupancy's points";
  EXPECT_EQ(sparse.num_target_points, dense.num_target_points);
  EXPECT_EQ(sparse.J, dense.J);
  EXPECT_EQ(sparse.info_gain, dense.info_gain);
  EXPECT_EQ(sparse.batch, dense.batch);
  EXPECT_EQ(sparse.batch_J, dense.batch_J);
  EXPECT_EQ(sparse.pseudo_demo_trajectory, dense.pseudo_demo_trajectory);
}

INSTANTIATE_TEST_SUITE_P(Forms, SparseTargetFeatures, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "factorised" : "embedding"; });

TEST(SparseTargetFeatures, BadRowsAreNamed) {
  PrunedProblem pp(true);
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  auto expect = [&](const std::function<void(CompactTargets&)>& corrupt, const std::string& fragment) {
    CompactTargets c(pp.op.problem);
    corrupt(c);
    c.p.target_feature_rows = amf::VectorView<std::int64_t>(c.map);
    try {
      amf::evaluate_criterion(c.p, *cpu);
      ADD_FAILURE() << "accepted: " << fragment;
    } catch (const amf::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect([](CompactTargets& c) { c.map.pop_back(); }, "target_feature_rows has");
  expect([](CompactTargets& c) { c.map[0] = c.rows; }, "target_feature_rows[0] = ");
  const std::int64_t n = pp.op.problem.target_logp.cols;
  const std::int64_t missing = CompactTargets(pp.op.problem).kept.front();
  expect([&](CompactTargets& c) { c.map[missing] = -1; },
         "target_feature_rows[" + std::to_string(missing) + "] is -1, but target " + std::to_string(missing / n) +
             " keeps pool step " + std::to_string(missing % n));
  // Without the map, the compact set is the wrong size, and the message says what to add.
  expect([](CompactTargets& c) { c.map.clear(); }, "(or give target_feature_rows)");
}

TEST(SparseTargetFeatures, KeptStepsNameBadInputs) {
  PrunedProblem pp(true);
  amf::FeatureCriterionProblem p = pp.op.problem;
  p.target_logp.cols = 3;
  EXPECT_THROW(amf::kept_target_steps(p), amf::InvalidArgument);
  p = pp.op.problem;
  std::vector<double> bad{0.5, 0.5, 0.5, 0.5};
  p.target_probs = amf::VectorView<double>(bad);
  try {
    amf::kept_target_steps(p);
    ADD_FAILURE() << "target_probs summing to 2 accepted";
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("target_probs"), std::string::npos) << e.what();
  }
}

}  // namespace
