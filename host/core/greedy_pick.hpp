#pragma once
// The greedy step every backend shares: the candidate with the smallest J (the first on ties),
// its pseudo-demonstration (the pool trajectory of largest importance weight), recorded in the
// result.
#include <cstdint>
#include <vector>

#include "amf/criterion.hpp"

namespace amf {
namespace detail {

struct GreedyPick {
  std::int64_t candidate;
  std::int64_t trajectory;
};

// weights: N x R row-major (candidates x pool trajectories).
GreedyPick record_greedy_pick(const std::vector<double>& J, const double* weights, std::int64_t R,
                              CriterionResult& result);

}  // namespace detail
}  // namespace amf
