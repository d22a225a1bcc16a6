#include "core/greedy_driver.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "amf/error.hpp"
#include "prep/cancellation.hpp"

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

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string format_seconds(double s) {
  char buf[64];
  if (s < 1) std::snprintf(buf, sizeof buf, "%.0f ms", s * 1e3);
  else if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  else if (s < 2 * 86400) std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  else std::snprintf(buf, sizeof buf, "%.3g days", s / 86400);
  return buf;
}

// After pass `done` of `passes`: stops a selection whose lower-bound estimate exceeds the limit.
// The estimate is agreed over processes, so every MPI rank stops together.
void check_time_limit(const SelectionControl& control, PickExchange& exchange, SelectionProgress& progress,
                      double last_step_s) {
  if (progress.passes_done == progress.passes) progress.remaining_s = 0;
  if (progress.passes_done < 2 || progress.passes_done == progress.passes) return;
  progress.remaining_s = (progress.passes - progress.passes_done) * last_step_s;
  if (control.time_limit_s <= 0) return;
  const double total = exchange.agree_max(progress.elapsed_s + progress.remaining_s);
  if (total > control.time_limit_s)
    throw TooLarge("this selection of " + std::to_string(progress.passes) + " picks would take at least " +
                   format_seconds(total) + " (" + std::to_string(progress.passes_done) + " passes took " +
                   format_seconds(progress.elapsed_s) + "; each later pick costs at least the last one's " +
                   format_seconds(last_step_s) + "), more than the time limit of " +
                   format_seconds(control.time_limit_s) +
                   ": choose a smaller batch, or raise the limit (time_limit_s; --time-limit in the CLI, "
                   "time_limit= in Python; 0 for none) to run it anyway");
}

}  // namespace

CriterionResult run_greedy(SelectionSession& session, int batch_size, bool select, PickExchange& exchange,
                           const SelectionControl& control) {
  const auto start = std::chrono::steady_clock::now();
  const ScopedCancelFlag cancel_scope(control.cancel);
  CriterionResult result;
  result.num_target_points = session.num_target_points();
  const MatrixView<double> w = session.weights();
  const std::int64_t R = w.cols;
  // Every process needs every candidate's weights to name the winner's pseudo-demonstration.
  result.weights = exchange.gather(w.data, w.rows, R);
  const int passes = select ? batch_size : 1;
  session.expect_picks(passes - 1);
  SelectionProgress progress;
  progress.passes = passes;
  for (int b = 0; b < passes; ++b) {
    const auto step_start = std::chrono::steady_clock::now();
    throw_if_cancelled(control.cancel);
    PassScores scores;
    exchange.run_local([&] { scores = session.score(/*with_info_gain=*/b == 0); });
    if (b == 0) {
      result.J = exchange.gather(scores.J.data(), static_cast<std::int64_t>(scores.J.size()), 1);
      result.info_gain = exchange.gather(scores.info_gain.data(), static_cast<std::int64_t>(scores.info_gain.size()), 1);
    }
    if (select) {
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
    progress.passes_done = b + 1;
    progress.elapsed_s = seconds_since(start);
    check_time_limit(control, exchange, progress, seconds_since(step_start));
    if (control.progress) control.progress(progress);
  }
  return result;
}

}  // namespace detail
}  // namespace amf
