// SelectionControl (issue #15 items 3 and 4): progress after every pass, a stop flag honoured
// between passes and inside a pass, and a time limit that fails on the estimate; none of them
// changes the result of a selection they let finish.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "amf/selection_control.hpp"
#include "cpu/cpu_backend.hpp"
#include "problem_fixture.hpp"

namespace {

using amf_test::evenly_spaced;
using amf_test::OwnedProblem;

OwnedProblem small_problem(int batch) {
  OwnedProblem op({0.0, 0.7, 2.0, 4.0}, evenly_spaced(9, 0.1), evenly_spaced(5));
  op.problem.batch_size = batch;
  return op;
}

TEST(SelectionControl, ProgressAfterEveryPassAndTheSameResult) {
  auto op = small_problem(4);
  amf::CpuBackend cpu(2);
  std::vector<amf::SelectionProgress> seen;
  amf::SelectionControl control;
  control.progress = [&](const amf::SelectionProgress& p) { seen.push_back(p); };
  const auto with = amf::select_batch(op.problem, cpu, control);
  const auto without = amf::select_batch(op.problem, cpu);
  EXPECT_EQ(with.batch, without.batch);
  EXPECT_EQ(with.J, without.J);
  ASSERT_EQ(seen.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(seen[i].passes_done, i + 1);
    EXPECT_EQ(seen[i].passes, 4);
  }
  EXPECT_EQ(seen[0].remaining_s, -1);  // the first pass says little about later ones
  EXPECT_GE(seen[1].remaining_s, 0);
  EXPECT_EQ(seen[3].remaining_s, 0);
}

TEST(SelectionControl, AFlagSetBeforehandStopsBeforeAnyPass) {
  auto op = small_problem(2);
  amf::CpuBackend cpu(1);
  std::atomic<bool> stop{true};
  amf::SelectionControl control;
  control.cancel = &stop;
  int passes = 0;
  control.progress = [&](const amf::SelectionProgress&) { ++passes; };
  EXPECT_THROW(amf::select_batch(op.problem, cpu, control), amf::Cancelled);
  EXPECT_EQ(passes, 0);
}

TEST(SelectionControl, AFlagSetDuringTheSelectionStopsAtTheNextBlock) {
  auto op = small_problem(5);
  amf::CpuBackend cpu(2);
  std::atomic<bool> stop{false};
  amf::SelectionControl control;
  control.cancel = &stop;
  int passes = 0;
  control.progress = [&](const amf::SelectionProgress& p) {
    passes = p.passes_done;
    if (p.passes_done == 2) stop = true;
  };
  EXPECT_THROW(amf::select_batch(op.problem, cpu, control), amf::Cancelled);
  EXPECT_EQ(passes, 2);
  // The flag is the caller's: the next selection with it cleared runs to the end.
  stop = false;
  control.progress = nullptr;
  EXPECT_EQ(amf::select_batch(op.problem, cpu, control).batch.size(), 5u);
}

TEST(SelectionControl, InsideAPassEveryParallelLoopChecksTheFlag) {
  // Many candidates, one thread: a flag raised from another thread mid-pass ends the pass long
  // before it would finish on its own.
  OwnedProblem op({0.0, 0.7, 2.0, 4.0, 5.0}, evenly_spaced(4000, 0.05), evenly_spaced(12), 8);
  op.problem.min_weight = 0;
  amf::CpuBackend cpu(1);
  std::atomic<bool> stop{false};
  amf::SelectionControl control;
  control.cancel = &stop;
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(amf::evaluate_criterion(op.problem, cpu, control), amf::Cancelled);
  raiser.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  op.problem.candidates.rows = 400;  // a tenth of the candidates, uninterrupted, for scale
  const auto t0 = std::chrono::steady_clock::now();
  amf::evaluate_criterion(op.problem, cpu);
  const double tenth = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("stopped after %.3f s; a tenth of the pass takes %.3f s\n", seconds, tenth);
  EXPECT_LT(seconds, 0.05 + 2 * tenth) << "stopped after " << seconds << " s; a tenth of the pass takes " << tenth;
}

TEST(SelectionControl, ATimeLimitFailsOnTheEstimateNamingIt) {
  auto op = small_problem(2000);
  amf::CpuBackend cpu(1);
  amf::SelectionControl control;
  control.time_limit_s = 1e-4;
  int passes = 0;
  control.progress = [&](const amf::SelectionProgress&) { ++passes; };
  try {
    amf::select_batch(op.problem, cpu, control);
    ADD_FAILURE() << "no error";
  } catch (const amf::TooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("this selection of 2000 picks would take at least"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(passes, 1);  // it stopped as soon as the estimate existed, after the second pass
}

TEST(SelectionControl, ABatchWhoseConditioningCannotFitFailsBeforeWork) {
  auto op = small_problem(2147483647);
  amf::CpuBackend cpu(1);
  int passes = 0;
  amf::SelectionControl control;
  control.progress = [&](const amf::SelectionProgress&) { ++passes; };
  EXPECT_THROW(amf::select_batch(op.problem, cpu, control), amf::TooLarge);
  EXPECT_EQ(passes, 0);
}

}  // namespace
