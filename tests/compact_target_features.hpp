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
    mats.reserve(16);
    auto take = [&](const amf::ArrayView& view) {
      const amf::MatrixView<double> v = view.host_matrix("dense features");
      Mat m(rows, v.cols);
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < v.cols; ++j) m(r, j) = v(order[r], j);
      mats.push_back(std::move(m));
      return amf::MatrixView<double>{mats.back().data(), mats.back().rows(), mats.back().cols()};
    };
    amf::FeatureSet f;
    if (dense.target_features.layers.empty()) f.embedding = take(dense.target_features.embedding);
    for (const auto& layer : dense.target_features.layers)
      f.layers.push_back({layer.kind, take(layer.inputs), take(layer.signals), 1, true});
    p.target_features = f;
    p.target_feature_rows = amf::VectorView<std::int64_t>(map);
  }
};

}  // namespace amf_test
