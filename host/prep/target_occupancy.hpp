#pragma once
// Target-occupancy points z = (s_jt, c'_k) with weights omega_z = p_k w_j(c'_k) / T_j.
#include <vector>

#include "amf/criterion.hpp"
#include "amf/problem.hpp"
#include "prep/pool_data.hpp"

namespace amf {
namespace detail {

struct TargetOccupancy {
  RowMatrix points;            // M x (ds + dc)
  std::vector<double> weight;  // M, sums to <= 1 (exactly 1 when nothing is pruned)
};

// Whether weight j of a row of importance weights enters the sums: it is >= min_weight, or it is
// the row's largest (so pruning never empties a task's sum, whatever min_weight is).
bool keep_weight(const double* weights, std::int64_t count, std::int64_t j, double min_weight);

// The pairs of an N x R row-major weight matrix the sums keep: nonzero, and keep_weight; in
// candidate order. One rule for every backend and for the validation of sparse feature rows.
std::vector<CandidatePair> kept_pairs(const double* weights, std::int64_t N, std::int64_t R, double min_weight);

// Keeps the (trajectory, target) pairs that keep_weight admits (all of them when min_weight = 0).
TargetOccupancy target_occupancy(const PoolData& pool, const CriterionProblem& problem,
                                 const RowMatrix& target_weights);

}  // namespace detail
}  // namespace amf
