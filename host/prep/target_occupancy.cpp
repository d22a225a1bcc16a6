#include "prep/target_occupancy.hpp"

#include <algorithm>

namespace amf {
namespace detail {

bool keep_weight(const double* weights, std::int64_t count, std::int64_t j, double min_weight) {
  return weights[j] >= min_weight || j == std::max_element(weights, weights + count) - weights;
}

std::vector<CandidatePair> kept_pairs(const double* weights, std::int64_t N, std::int64_t R, double min_weight) {
  std::vector<CandidatePair> pairs;
  for (std::int64_t c = 0; c < N; ++c)
    for (std::int64_t i = 0; i < R; ++i) {
      const double w = weights[c * R + i];
      if (w != 0.0 && keep_weight(weights + c * R, R, i, min_weight)) pairs.push_back({c, i, w});
    }
  return pairs;
}

TargetOccupancy target_occupancy(const PoolData& pool, const CriterionProblem& p,
                                 const RowMatrix& target_weights) {
  const std::int64_t K = p.targets.rows, R = pool.num_trajectories();
  auto keep = [&](std::int64_t k, std::int64_t j) {
    return p.target_probs[k] > 0 && keep_weight(target_weights.row(k).data(), R, j, p.min_weight);
  };
  std::int64_t m = 0;
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < R; ++j)
      if (keep(k, j)) m += pool.steps(j);

  TargetOccupancy occ;
  occ.points.resize(m, pool.X.cols());
  occ.weight.reserve(m);
  std::int64_t row = 0;
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < R; ++j) {
      if (!keep(k, j)) continue;
      relabel_trajectory(pool, j, p.targets.row(k), occ.points, row);
      const double w = p.target_probs[k] * target_weights(k, j) / static_cast<double>(pool.steps(j));
      for (std::int64_t t = 0; t < pool.steps(j); ++t) occ.weight.push_back(w);
      row += pool.steps(j);
    }
  return occ;
}

}  // namespace detail
}  // namespace amf
