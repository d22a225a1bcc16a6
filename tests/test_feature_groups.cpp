// Groups of tasks with disjoint parameters (FeatureCriterionProblem::candidate_groups and
// target_groups): the compact features with groups give the criterion of the padded layout, where
// every group's terms are repeated for every row and zeroed outside the group (the kernel between
// groups is then exactly 0 by construction), for the plain criterion, greedy batches with and
// without the kept-block cache, and sparse candidate and target rows; bad groups are named.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "amf/session.hpp"
#include "compact_target_features.hpp"
#include "feature_problem_fixture.hpp"

namespace {

using Mat = amf_test::OwnedFeatureProblem::Mat;
using amf_test::FeatureForm;

constexpr int kGroups = 3;

// A feature set whose terms are repeated per group, each copy zero on the rows of other groups.
struct PaddedFeatures {
  std::vector<Mat> mats;
  amf::FeatureSet set;

  PaddedFeatures(const amf::FeatureSet& compact, const std::vector<std::int64_t>& row_group) {
    mats.reserve(64);
    auto copy_for = [&](const amf::ArrayView& view, int g) {
      const amf::MatrixView<double> v = view.host_matrix("compact features");
      Mat m = Mat::Zero(v.rows, v.cols);
      for (std::int64_t r = 0; r < v.rows; ++r)
        if (row_group[r] == g)
          for (std::int64_t j = 0; j < v.cols; ++j) m(r, j) = v(r, j);
      mats.push_back(std::move(m));
      return amf::MatrixView<double>{mats.back().data(), mats.back().rows(), mats.back().cols()};
    };
    if (compact.has_embedding()) {
      // One embedding of kGroups x D columns: group g's columns hold the row's values.
      const amf::MatrixView<double> v = compact.embedding.host_matrix("compact features");
      Mat m = Mat::Zero(v.rows, v.cols * kGroups);
      for (std::int64_t r = 0; r < v.rows; ++r)
        for (std::int64_t j = 0; j < v.cols; ++j) m(r, row_group[r] * v.cols + j) = v(r, j);
      mats.push_back(std::move(m));
      set.embedding = amf::MatrixView<double>{mats.back().data(), mats.back().rows(), mats.back().cols()};
    }
    for (int g = 0; g < kGroups; ++g)
      for (const auto& layer : compact.layers)
        set.layers.push_back({layer.kind, copy_for(layer.inputs, g), copy_for(layer.signals, g), layer.tokens,
                              layer.bias});
  }
};

struct GroupedProblem {
  amf_test::OwnedFeatureProblem op;
  std::vector<std::int64_t> candidate_groups, target_groups, candidate_rows_group, target_rows_group;
  amf::FeatureCriterionProblem grouped, padded;
  std::unique_ptr<PaddedFeatures> pc, pt;

  // Groups interleave (candidate c in c % 3) or, with `consecutive`, take consecutive candidates
  // and targets (c / 3, k / 3 for 9 of each), the layout a task-isolated policy's tasks usually have.
  GroupedProblem(FeatureForm form, int batch, unsigned seed = 3, int R = 6, int T = 5, int K = 4,
                 bool consecutive = false)
      : op(R, T, 9, K, form, seed) {
    const std::int64_t N = op.problem.candidate_logp.rows;
    const std::int64_t n = op.problem.candidate_logp.cols;
    for (std::int64_t c = 0; c < N; ++c) candidate_groups.push_back(consecutive ? c * kGroups / N : c % kGroups);
    for (std::int64_t k = 0; k < K; ++k) target_groups.push_back(consecutive ? k * kGroups / K : (k + 1) % kGroups);
    for (std::int64_t e = 0; e < N * n; ++e) candidate_rows_group.push_back(candidate_groups[e / n]);
    for (std::int64_t e = 0; e < K * n; ++e) target_rows_group.push_back(target_groups[e / n]);
    op.problem.batch_size = batch;
    grouped = op.problem;
    grouped.candidate_groups = amf::VectorView<std::int64_t>(candidate_groups);
    grouped.target_groups = amf::VectorView<std::int64_t>(target_groups);
    pc = std::make_unique<PaddedFeatures>(op.problem.candidate_features, candidate_rows_group);
    pt = std::make_unique<PaddedFeatures>(op.problem.target_features, target_rows_group);
    padded = op.problem;
    padded.candidate_features = pc->set;
    padded.target_features = pt->set;
  }
};

void expect_same(const amf::CriterionResult& a, const amf::CriterionResult& b) {
  ASSERT_EQ(a.J.size(), b.J.size());
  for (std::size_t c = 0; c < a.J.size(); ++c) {
    EXPECT_NEAR(a.J[c], b.J[c], 1e-12 * (1 + std::abs(b.J[c]))) << "candidate " << c;
    EXPECT_NEAR(a.info_gain[c], b.info_gain[c], 1e-12 * (1 + std::abs(b.info_gain[c]))) << "candidate " << c;
  }
  EXPECT_EQ(a.batch, b.batch);
  ASSERT_EQ(a.batch_J.size(), b.batch_J.size());
  for (std::size_t i = 0; i < a.batch_J.size(); ++i) EXPECT_NEAR(a.batch_J[i], b.batch_J[i], 1e-12 * (1 + std::abs(b.batch_J[i])));
  EXPECT_EQ(a.pseudo_demo_trajectory, b.pseudo_demo_trajectory);
  EXPECT_EQ(a.num_target_points, b.num_target_points);
}

class FeatureGroups : public ::testing::TestWithParam<FeatureForm> {};

TEST_P(FeatureGroups, GiveThePaddedLayoutsCriterion) {
  for (const std::int64_t cache : {std::int64_t{-1}, std::int64_t{0}}) {  // kept blocks, and recomputing
    SCOPED_TRACE(cache ? "kept blocks" : "recomputing");
    GroupedProblem gp(GetParam(), 4);
    amf::BackendOptions options;
    options.session_cache_bytes = cache;
    auto cpu = amf::make_backend(amf::BackendKind::Cpu, options);
    const auto padded = amf::select_batch(gp.padded, *cpu);
    const auto grouped = amf::select_batch(gp.grouped, *cpu);
    expect_same(grouped, padded);
    // The groups change the criterion: ignoring them (one shared copy) is a different problem.
    const auto shared = amf::select_batch(gp.op.problem, *cpu);
    double most = 0;
    for (std::size_t c = 0; c < shared.J.size(); ++c) most = std::max(most, std::abs(shared.J[c] - padded.J[c]));
    EXPECT_GT(most, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Forms, FeatureGroups,
                         ::testing::Values(FeatureForm::Factorised, FeatureForm::Embedding, FeatureForm::Tokens),
                         [](const auto& info) {
                           return std::string(info.param == FeatureForm::Factorised ? "factorised"
                                              : info.param == FeatureForm::Embedding ? "embedding" : "tokens");
                         });

// Many target points (several blocks of 128 on the CPU, each mostly of one group, the points
// being ordered by group) and candidates of a group side by side: most (pair, block) terms are
// then taken as "nothing explained" without a Gram. Same criterion as the padded layout.
TEST(FeatureGroups, SkippedBlocksOfOtherGroupsGiveThePaddedCriterion) {
  for (const std::int64_t cache : {std::int64_t{-1}, std::int64_t{0}}) {
    SCOPED_TRACE(cache ? "kept blocks" : "recomputing");
    for (const bool consecutive : {true, false}) {
      SCOPED_TRACE(consecutive ? "consecutive groups" : "interleaved groups");
      GroupedProblem gp(FeatureForm::Factorised, 3, 5, 36, 8, 9, consecutive);
      gp.grouped.min_weight = gp.padded.min_weight = 0.01;
      amf::BackendOptions options;
      options.session_cache_bytes = cache;
      auto cpu = amf::make_backend(amf::BackendKind::Cpu, options);
      const auto grouped = amf::select_batch(gp.grouped, *cpu);
      EXPECT_GT(grouped.num_target_points, 2 * 128);  // 3 blocks or more
      expect_same(grouped, amf::select_batch(gp.padded, *cpu));
    }
  }
}

// The kept-block cache of a grouped session holds each pair's cross-covariance with its own
// group's target points only (zero elsewhere at every step): about 1/3 of the padded layout's
// blocks here. Every greedy step must still score as the padded layout does, and as a grouped
// session that recomputes, also when only some pairs' blocks fit the budget.
TEST(FeatureGroups, KeptBlocksHoldEachPairsOwnGroupOnly) {
  GroupedProblem gp(FeatureForm::Factorised, 3, 5, 36, 8, 9, true);
  gp.grouped.min_weight = gp.padded.min_weight = 0.01;
  auto kept = amf::make_backend(amf::BackendKind::Cpu);
  auto grouped = kept->open_session(gp.grouped), padded = kept->open_session(gp.padded);
  grouped->score();
  padded->score();
  ASSERT_TRUE(grouped->incremental());
  ASSERT_TRUE(padded->incremental());
  EXPECT_LT(grouped->kept_bytes(), 0.5 * static_cast<double>(padded->kept_bytes()));
  for (const double share : {1.0, 0.5}) {
    SCOPED_TRACE(share);
    amf::BackendOptions some, none;
    some.session_cache_bytes = static_cast<std::int64_t>(share * static_cast<double>(grouped->kept_bytes()));
    none.session_cache_bytes = 0;
    auto a_backend = amf::make_backend(amf::BackendKind::Cpu, some), b_backend = amf::make_backend(amf::BackendKind::Cpu, none);
    auto a = a_backend->open_session(gp.grouped), b = b_backend->open_session(gp.grouped);
    auto c = a_backend->open_session(gp.padded);
    const amf::MatrixView<double> w = b->weights();
    for (int step = 0; step < 5; ++step) {
      const amf::PassScores sa = a->score(true), sb = b->score(true), sc = c->score(true);
      ASSERT_TRUE(a->incremental());
      for (std::size_t k = 0; k < sb.J.size(); ++k) {
        EXPECT_NEAR(sa.J[k], sb.J[k], 1e-10 * (1 + std::abs(sb.J[k]))) << "candidate " << k << ", step " << step;
        EXPECT_NEAR(sa.J[k], sc.J[k], 1e-10 * (1 + std::abs(sc.J[k]))) << "candidate " << k << ", step " << step;
        EXPECT_NEAR(sa.info_gain[k], sb.info_gain[k], 1e-10 * (1 + std::abs(sb.info_gain[k])))
            << "candidate " << k << ", step " << step;
      }
      const auto best = std::min_element(sb.J.begin(), sb.J.end()) - sb.J.begin();
      const double* row = w.row(best);
      const std::int64_t pseudo = std::max_element(row, row + w.cols) - row;
      a->condition_on(best, pseudo);
      b->condition_on(best, pseudo);
      c->condition_on(best, pseudo);
    }
  }
}

TEST(FeatureGroups, WorkWithSparseTargetRows) {
  GroupedProblem gp(FeatureForm::Factorised, 3);
  gp.grouped.min_weight = gp.padded.min_weight = 0.05;
  const amf_test::CompactTargets sparse(gp.grouped);
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  expect_same(amf::select_batch(sparse.p, *cpu), amf::select_batch(gp.padded, *cpu));
}

TEST(FeatureGroups, BadGroupsAreNamed) {
  GroupedProblem gp(FeatureForm::Factorised, 2);
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  auto expect = [&](const std::function<void(amf::FeatureCriterionProblem&, std::vector<std::int64_t>&)>& corrupt,
                    const std::string& fragment) {
    amf::FeatureCriterionProblem p = gp.grouped;
    std::vector<std::int64_t> storage;
    corrupt(p, storage);
    try {
      amf::select_batch(p, *cpu);
      ADD_FAILURE() << "accepted: " << fragment;
    } catch (const amf::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect([](auto& p, auto&) { p.target_groups = {}; }, "candidate_groups is given but target_groups is not");
  expect([](auto& p, auto& s) {
    s.assign(p.candidate_logp.rows - 1, 0);
    p.candidate_groups = amf::VectorView<std::int64_t>(s);
  }, "candidate_groups has 8 entries, expected one per candidate = 9");
  expect([&](auto& p, auto& s) {
    s = gp.target_groups;
    s[2] = -1;
    p.target_groups = amf::VectorView<std::int64_t>(s);
  }, "target_groups[2] = -1 is negative");
}

}  // namespace
