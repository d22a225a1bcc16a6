// The CPU backend against an independent LibTorch implementation (materialised blocks,
// refactorised conditioning): float64 on both sides, relative tolerance 1e-8.
#include <gtest/gtest.h>

#include "amf/backend.hpp"
#include "amf/torch/torch_criterion.hpp"
#include "problem_fixture.hpp"

namespace {

TEST(TorchReference, AgreesWithCpuBackendOnScoresWeightsAndBatch) {
  amf_test::OwnedProblem op({0.0, 0.7, 1.4, 2.1, 4.0}, amf_test::evenly_spaced(15, 0.05),
                            amf_test::evenly_spaced(12), 8);
  op.problem.batch_size = 3;
  for (double min_weight : {0.0, 1e-6}) {
    op.problem.min_weight = min_weight;
    auto backend = amf::make_backend(amf::BackendKind::Cpu);
    const auto cpu = amf::select_batch(op.problem, *backend);
    const auto ref = amf::torch_reference_criterion(op.problem, true);
    ASSERT_EQ(cpu.J.size(), ref.J.size());
    EXPECT_EQ(cpu.num_target_points, ref.num_target_points);
    for (std::size_t c = 0; c < cpu.J.size(); ++c) {
      EXPECT_NEAR(cpu.J[c], ref.J[c], 1e-8 * std::abs(ref.J[c]));
      EXPECT_NEAR(cpu.info_gain[c], ref.info_gain[c], 1e-8 * (1 + std::abs(ref.info_gain[c])));
    }
    for (std::size_t i = 0; i < cpu.weights.size(); ++i) EXPECT_NEAR(cpu.weights[i], ref.weights[i], 1e-10);
    EXPECT_EQ(cpu.batch, ref.batch);
    EXPECT_EQ(cpu.pseudo_demo_trajectory, ref.pseudo_demo_trajectory);
    for (std::size_t b = 0; b < cpu.batch_J.size(); ++b)
      EXPECT_NEAR(cpu.batch_J[b], ref.batch_J[b], 1e-8 * std::abs(ref.batch_J[b]));
  }
}

}  // namespace
