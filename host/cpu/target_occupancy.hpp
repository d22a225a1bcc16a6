#pragma once
// Target-occupancy points z = (s_jt, c'_k) with weights omega_z = p_k w_j(c'_k) / T_j.
#include <vector>

#include "amf/problem.hpp"
#include "cpu/pool_data.hpp"

namespace amf {
namespace detail {

struct TargetOccupancy {
  RowMatrix points;            // M x (ds + dc)
  std::vector<double> weight;  // M, sums to <= 1 (exactly 1 when nothing is pruned)
};

// Keeps the (trajectory, target) pairs whose weight w_j(c'_k) is >= min_weight (all when 0).
TargetOccupancy target_occupancy(const PoolData& pool, const CriterionProblem& problem,
                                 const RowMatrix& target_weights);

}  // namespace detail
}  // namespace amf
