#include "core/greedy_driver.hpp"

#include <algorithm>
#include <limits>

#include "amf/error.hpp"

namespace amf {
namespace detail {

ScoredCandidate best_in_range(const std::vector<double>& J, std::int64_t begin) {
  if (J.empty()) return {std::numeric_limits<double>::infinity(), -1};
  const std::int64_t best = std::min_element(J.begin(), J.end()) - J.begin();
  return {J[best], begin + best};
}

std::int64_t record_pick(const ScoredCandidate& pick, const double* weights, std::int64_t R, CriterionResult& result) {
  if (pick.candidate < 0) throw Error("amf: no candidate to pick (the problem has none)");
  const double* row = weights + pick.candidate * R;
  const std::int64_t pseudo = std::max_element(row, row + R) - row;
  result.batch.push_back(pick.candidate);
  result.batch_J.push_back(pick.J);
  result.pseudo_demo_trajectory.push_back(pseudo);
  return pseudo;
}

CriterionResult run_greedy(SelectionSession& session, int batch_size, bool select, PickExchange& exchange) {
  CriterionResult result;
  result.num_target_points = session.num_target_points();
  const MatrixView<double> w = session.weights();
  const std::int64_t R = w.cols;
  // Every process needs every candidate's weights to name the winner's pseudo-demonstration.
  result.weights = exchange.gather(w.data, w.rows, R);
  const int passes = select ? batch_size : 1;
  session.expect_picks(passes - 1);
  for (int b = 0; b < passes; ++b) {
    PassScores scores;
    exchange.run_local([&] { scores = session.score(/*with_info_gain=*/b == 0); });
    if (b == 0) {
      result.J = exchange.gather(scores.J.data(), static_cast<std::int64_t>(scores.J.size()), 1);
      result.info_gain = exchange.gather(scores.info_gain.data(), static_cast<std::int64_t>(scores.info_gain.size()), 1);
    }
    if (!select) break;
    const ScoredCandidate pick = exchange.best(best_in_range(scores.J, session.range().begin));
    const std::int64_t pseudo = record_pick(pick, result.weights.data(), R, result);
    if (b + 1 < passes) {
      // The session holding the pick may share its kept blocks, so no other derives them anew.
      std::vector<double> blocks;
      exchange.run_local([&] { blocks = session.pick_blocks(pick.candidate, pseudo); });
      blocks = exchange.from_owner(std::move(blocks), pick.candidate);
      exchange.run_local([&] { session.condition_on(pick.candidate, pseudo, blocks); });
    }
  }
  return result;
}

}  // namespace detail
}  // namespace amf
