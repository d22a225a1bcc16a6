#pragma once
// Test helper: a feature problem whose target features hold only the points amf::kept_target_steps
// names, in reverse order, addressed through target_feature_rows (test_sparse_target_features,
// test_gpu_backend).
#include <vector>

#include "amf/feature_problem.hpp"
#include "feature_problem_fixture.hpp"

namespace amf_test {

// The problem with target features only at the kept steps, in reverse order.
struct CompactTargets {
  using Mat = OwnedFeatureProblem::Mat;
  std::vector<Mat> mats;
  std::vector<std::int64_t> map;
  std::vector<std::int64_t> kept;
  amf::FeatureCriterionProblem p;
  std::int64_t rows = 0;

  explicit CompactTargets(const amf::FeatureCriterionProblem& dense) : p(dense) {
    const std::int64_t n = dense.target_logp.cols, K = dense.target_logp.rows;
    kept = amf::kept_target_steps(dense);
    std::vector<std::int64_t> order(kept.rbegin(), kept.rend());
    rows = static_cast<std::int64_t>(order.size());
    map.assign(K * n, -1);
    for (std::int64_t r = 0; r < rows; ++r) map[order[r]] = r;
    p.target_features = select_rows(dense.target_features, order, mats);
    p.target_feature_rows = amf::VectorView<std::int64_t>(map);
  }
};

}  // namespace amf_test
