// Candidate features for the kept pairs only (FeatureCriterionProblem::candidate_feature_rows):
// amf::kept_candidate_pairs names the pairs from the log-probabilities alone; features for just
// their steps, stored in another order, give exactly the dense layout's results on the CPU
// backend; a missing or bad row is named.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "feature_problem_fixture.hpp"

namespace {

using Mat = amf_test::OwnedFeatureProblem::Mat;

// The problem with candidate features only for the kept pairs' steps, in reverse order.
struct Compact {
  std::vector<Mat> mats;
  std::vector<std::int64_t> map;
  amf::FeatureCriterionProblem p;
  std::int64_t rows = 0;

  explicit Compact(const amf::FeatureCriterionProblem& dense) : p(dense) {
    const std::int64_t n = dense.candidate_logp.cols, N = dense.candidate_logp.rows;
    std::vector<std::int64_t> full;
    for (const amf::CandidatePair& q : amf::kept_candidate_pairs(dense))
      for (std::int64_t t = dense.traj_offsets[q.trajectory]; t < dense.traj_offsets[q.trajectory + 1]; ++t)
        full.push_back(q.candidate * n + t);
    std::reverse(full.begin(), full.end());
    rows = static_cast<std::int64_t>(full.size());
    map.assign(N * n, -1);
    for (std::int64_t k = 0; k < rows; ++k) map[full[k]] = k;
    p.candidate_features = amf_test::select_rows(dense.candidate_features, full, mats);
    p.candidate_feature_rows = amf::VectorView<std::int64_t>(map);
  }
};

class SparseCandidateFeatures : public ::testing::TestWithParam<bool> {};

TEST_P(SparseCandidateFeatures, GiveTheDenseResultsExactly) {
  // Sharp log-probabilities, so importance weights prune most pairs (as relabelling does).
  amf_test::OwnedFeatureProblem op(6, 5, 9, 3, GetParam(), 5);
  op.problem.batch_size = 3;
  const Compact c(op.problem);
  const std::int64_t N = op.problem.candidate_logp.rows, n = op.problem.candidate_logp.cols;
  EXPECT_LT(c.rows, N * n) << "pruning should leave some steps without features";
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  const auto dense = amf::select_batch(op.problem, *cpu);
  const auto sparse = amf::select_batch(c.p, *cpu);
  EXPECT_EQ(sparse.J, dense.J);
  EXPECT_EQ(sparse.info_gain, dense.info_gain);
  EXPECT_EQ(sparse.batch, dense.batch);
  EXPECT_EQ(sparse.batch_J, dense.batch_J);
  EXPECT_EQ(sparse.pseudo_demo_trajectory, dense.pseudo_demo_trajectory);

  // The kept pairs are exactly the weights the criterion used.
  const std::int64_t R = op.problem.traj_offsets.size - 1;
  for (const amf::CandidatePair& q : amf::kept_candidate_pairs(op.problem))
    EXPECT_EQ(q.weight, dense.weights[q.candidate * R + q.trajectory]);
}

INSTANTIATE_TEST_SUITE_P(Forms, SparseCandidateFeatures, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "factorised" : "embedding"; });

TEST(SparseCandidateFeatures, BadRowsAreNamed) {
  amf_test::OwnedFeatureProblem op(6, 5, 9, 3, true, 5);
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  auto expect = [&](const std::function<void(Compact&)>& corrupt, const std::string& fragment) {
    Compact c(op.problem);
    corrupt(c);
    c.p.candidate_feature_rows = amf::VectorView<std::int64_t>(c.map);
    try {
      amf::evaluate_criterion(c.p, *cpu);
      ADD_FAILURE() << "accepted: " << fragment;
    } catch (const amf::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect([](Compact& c) { c.map.pop_back(); }, "candidate_feature_rows has");
  expect([](Compact& c) { c.map[0] = c.rows; }, "candidate_feature_rows[0] = ");
  const auto first = amf::kept_candidate_pairs(op.problem).front();
  const std::int64_t n = op.problem.candidate_logp.cols;
  const std::int64_t missing = first.candidate * n + op.problem.traj_offsets[first.trajectory];
  expect([&](Compact& c) { c.map[missing] = -1; },
         "candidate_feature_rows[" + std::to_string(missing) + "] is -1, but candidate " +
             std::to_string(first.candidate) + " keeps pool trajectory " + std::to_string(first.trajectory));
  // Without the map, a compact feature set is the wrong size, and the message says what to add.
  expect([](Compact& c) { c.map.clear(); }, "(or give candidate_feature_rows)");
}

TEST(SparseCandidateFeatures, KeptPairsNameBadLogProbabilities) {
  amf_test::OwnedFeatureProblem op(4, 3, 5, 2, true);
  op.problem.own_logp.rows = 2;
  EXPECT_THROW(amf::kept_candidate_pairs(op.problem), amf::InvalidArgument);
}

}  // namespace
