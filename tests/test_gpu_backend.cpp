// The CUDA backend against the CPU backend, for both criteria and both cross-covariance paths
// (fused streaming kernel, materialised cuBLAS blocks); float64 on both sides; relative
// tolerance 1e-9 on J and the information gain, 1e-10 absolute on weights, identical batches.
// Each CUDA path runs twice: with its automatic chunks (whole waves; these small problems fit in
// one chunk per length) and with chunks of 2 pairs, so every pass runs many chunks through the
// two staging slots, the copy/compute overlap and the per-candidate sums over chunks.
// Skipped, with the reason printed, where CUDA is not compiled in or no device is visible.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "compact_target_features.hpp"
#include "feature_problem_fixture.hpp"
#include "problem_fixture.hpp"

namespace {

constexpr amf::CudaCriterionPath kPaths[] = {amf::CudaCriterionPath::Fused, amf::CudaCriterionPath::Materialised};

const char* path_name(amf::CudaCriterionPath p) {
  return p == amf::CudaCriterionPath::Fused ? "fused" : "materialised";
}

amf::BackendOptions cuda_options(amf::CudaCriterionPath path, std::int64_t chunk_pairs) {
  amf::BackendOptions o;
  o.cuda_criterion = path;
  o.cuda_chunk_pairs = chunk_pairs;
  return o;
}

constexpr std::int64_t kChunkPairs[] = {0, 2};  // automatic, and many small chunks

void skip_without_device() {
  if (!amf::cuda_compiled()) GTEST_SKIP() << "CUDA is not compiled into this build";
  if (amf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device is visible";
}

// (horizon T, pool trajectories, candidates, batch size)
class CudaVsCpu : public ::testing::TestWithParam<std::tuple<int, int, int, int>> {};

TEST_P(CudaVsCpu, SameScoresWeightsAndBatch) {
  skip_without_device();
  if (::testing::Test::IsSkipped()) return;
  const auto [T, R, N, B] = GetParam();
  amf_test::OwnedProblem op(amf_test::evenly_spaced(R, 0.3, 4.0), amf_test::evenly_spaced(N, 0.05),
                            amf_test::evenly_spaced(12), T);
  op.problem.kernel = {0.5, 0.5, 0.1};
  op.problem.noise_variance = 0.0025;
  op.problem.batch_size = B;
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  const auto a = amf::select_batch(op.problem, *cpu);
  for (const auto path : kPaths)
    for (const std::int64_t chunk_pairs : kChunkPairs) {
      SCOPED_TRACE(std::string(path_name(path)) + ", chunk pairs " + std::to_string(chunk_pairs));
      auto cuda = amf::make_backend(amf::BackendKind::Cuda, cuda_options(path, chunk_pairs));
      ASSERT_EQ(cuda->name(), "cuda");
      const auto b = amf::select_batch(op.problem, *cuda);
      ASSERT_EQ(a.J.size(), b.J.size());
      EXPECT_EQ(a.num_target_points, b.num_target_points);
      for (std::size_t c = 0; c < a.J.size(); ++c) {
        EXPECT_NEAR(b.J[c], a.J[c], 1e-9 * std::abs(a.J[c])) << "candidate " << c;
        EXPECT_NEAR(b.info_gain[c], a.info_gain[c], 1e-9 * (1 + std::abs(a.info_gain[c]))) << "candidate " << c;
      }
      for (std::size_t i = 0; i < a.weights.size(); ++i) EXPECT_NEAR(b.weights[i], a.weights[i], 1e-10);
      EXPECT_EQ(a.batch, b.batch);
      EXPECT_EQ(a.pseudo_demo_trajectory, b.pseudo_demo_trajectory);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaVsCpu,
                         ::testing::Values(std::make_tuple(1, 5, 9, 1), std::make_tuple(7, 6, 17, 3),
                                           std::make_tuple(50, 8, 33, 2), std::make_tuple(64, 4, 12, 2),
                                           std::make_tuple(65, 3, 5, 1)));  // 65: falls back to the CPU

// The feature (AMF-NN) criterion: (horizon T, trajectories, candidates, batch size, form).
using amf_test::FeatureForm;
class FeatureCudaVsCpu : public ::testing::TestWithParam<std::tuple<int, int, int, int, FeatureForm>> {};

TEST_P(FeatureCudaVsCpu, SameScoresWeightsAndBatch) {
  skip_without_device();
  if (::testing::Test::IsSkipped()) return;
  const auto [T, R, N, B, form] = GetParam();
  amf_test::OwnedFeatureProblem op(R, T, N, 4, form);
  op.problem.batch_size = B;
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  const auto a = amf::select_batch(op.problem, *cpu);
  for (const auto path : kPaths)
    for (const std::int64_t chunk_pairs : kChunkPairs) {
      SCOPED_TRACE(std::string(path_name(path)) + ", chunk pairs " + std::to_string(chunk_pairs));
      auto cuda = amf::make_backend(amf::BackendKind::Cuda, cuda_options(path, chunk_pairs));
      const auto b = amf::select_batch(op.problem, *cuda);
      ASSERT_EQ(a.J.size(), b.J.size());
      EXPECT_EQ(a.num_target_points, b.num_target_points);
      for (std::size_t c = 0; c < a.J.size(); ++c) {
        EXPECT_NEAR(b.J[c], a.J[c], 1e-9 * (1 + std::abs(a.J[c]))) << "candidate " << c;
        EXPECT_NEAR(b.info_gain[c], a.info_gain[c], 1e-9 * (1 + std::abs(a.info_gain[c]))) << "candidate " << c;
      }
      for (std::size_t i = 0; i < a.weights.size(); ++i) EXPECT_NEAR(b.weights[i], a.weights[i], 1e-12);
      EXPECT_EQ(a.batch, b.batch);
      EXPECT_EQ(a.pseudo_demo_trajectory, b.pseudo_demo_trajectory);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, FeatureCudaVsCpu,
                         ::testing::Values(std::make_tuple(1, 5, 9, 1, FeatureForm::Factorised),
                                           std::make_tuple(7, 6, 17, 3, FeatureForm::Factorised),
                                           std::make_tuple(7, 6, 17, 3, FeatureForm::Embedding),
                                           std::make_tuple(7, 6, 17, 3, FeatureForm::Tokens),
                                           std::make_tuple(50, 5, 9, 2, FeatureForm::Factorised),
                                           std::make_tuple(50, 5, 9, 2, FeatureForm::Tokens),
                                           std::make_tuple(64, 3, 6, 2, FeatureForm::Factorised),
                                           std::make_tuple(65, 3, 5, 1, FeatureForm::Factorised)));  // 65: falls back to the CPU

// Target features only at the occupancy's points (target_feature_rows): the CUDA backend gathers
// them through the same map as the CPU one.
TEST(FeatureCudaVsCpu, SparseTargetFeatures) {
  skip_without_device();
  if (::testing::Test::IsSkipped()) return;
  amf_test::OwnedFeatureProblem op(6, 7, 17, 4, FeatureForm::Factorised, 5);
  op.problem.min_weight = 0.05;
  op.problem.batch_size = 3;
  const amf_test::CompactTargets compact(op.problem);
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  const auto a = amf::select_batch(op.problem, *cpu);
  for (const auto path : kPaths) {
    SCOPED_TRACE(path_name(path));
    auto cuda = amf::make_backend(amf::BackendKind::Cuda, cuda_options(path, kChunkPairs[0]));
    const auto b = amf::select_batch(compact.p, *cuda);
    EXPECT_EQ(a.num_target_points, b.num_target_points);
    for (std::size_t c = 0; c < a.J.size(); ++c) EXPECT_NEAR(b.J[c], a.J[c], 1e-9 * (1 + std::abs(a.J[c])));
    EXPECT_EQ(a.batch, b.batch);
  }
}

// Feature groups (parameter isolation): the CUDA backend masks the Grams between groups on the
// device (feature_kernels.cu, and the fused kernel's own tiles) where the CPU session masks them on
// the host; greedy batches of 3, so the picks' conditioning is masked too.
TEST(FeatureCudaVsCpu, FeatureGroups) {
  skip_without_device();
  if (::testing::Test::IsSkipped()) return;
  for (const auto form : {FeatureForm::Factorised, FeatureForm::Tokens}) {
    amf_test::OwnedFeatureProblem op(6, 7, 17, 4, form, 5);
    op.problem.min_weight = 0.05;
    op.problem.batch_size = 3;
    std::vector<std::int64_t> candidate_groups, target_groups;
    for (std::int64_t c = 0; c < op.problem.candidate_logp.rows; ++c) candidate_groups.push_back(c % 3);
    for (std::int64_t k = 0; k < op.problem.target_logp.rows; ++k) target_groups.push_back((k + 1) % 3);
    op.problem.candidate_groups = amf::VectorView<std::int64_t>(candidate_groups);
    op.problem.target_groups = amf::VectorView<std::int64_t>(target_groups);
    auto cpu = amf::make_backend(amf::BackendKind::Cpu);
    const auto a = amf::select_batch(op.problem, *cpu);
    for (const auto path : kPaths) {
      SCOPED_TRACE(std::string(path_name(path)) + ", " + amf_test::form_name(form));
      auto cuda = amf::make_backend(amf::BackendKind::Cuda, cuda_options(path, kChunkPairs[0]));
      const auto b = amf::select_batch(op.problem, *cuda);
      for (std::size_t c = 0; c < a.J.size(); ++c) EXPECT_NEAR(b.J[c], a.J[c], 1e-9 * (1 + std::abs(a.J[c])));
      EXPECT_EQ(a.batch, b.batch);
    }
  }
}

TEST(CudaBackend, AutoDoesNotPickTheUnvalidatedBackend) {
  skip_without_device();
  if (::testing::Test::IsSkipped()) return;
  EXPECT_EQ(amf::make_backend(amf::BackendKind::Auto)->name(), "cpu");
}

}  // namespace
