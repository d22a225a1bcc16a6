#include "core/greedy_pick.hpp"

#include <algorithm>

namespace amf {
namespace detail {

GreedyPick record_greedy_pick(const std::vector<double>& J, const double* weights, std::int64_t R,
                              CriterionResult& result) {
  const std::int64_t best = std::min_element(J.begin(), J.end()) - J.begin();
  const double* w = weights + best * R;
  const std::int64_t pseudo = std::max_element(w, w + R) - w;
  result.batch.push_back(best);
  result.batch_J.push_back(J[best]);
  result.pseudo_demo_trajectory.push_back(pseudo);
  return {best, pseudo};
}

}  // namespace detail
}  // namespace amf
