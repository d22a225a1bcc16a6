// Task tables: the target table's weight column (amf::target_tasks, which `amf select` uses).
#include <gtest/gtest.h>

#include <string>

#include "amf/error.hpp"
#include "expect_error.hpp"
#include "amf/harness/tables.hpp"

namespace {

using amf_test::expect_invalid_argument_naming;

TEST(TargetTasks, WeightColumnIsSplitOffAndNormalised) {
  amf::NumericTable t{{"x", "weight", "y"}, {1, 2, 3, 4, 6, 5}, 2};
  const amf::TargetTasks tt = amf::target_tasks(t, "targets.csv");
  EXPECT_EQ(tt.dim, 2);
  EXPECT_EQ(tt.tasks, (std::vector<double>{1, 3, 4, 5}));
  EXPECT_DOUBLE_EQ(tt.probs[0], 0.25);
  EXPECT_DOUBLE_EQ(tt.probs[1], 0.75);
  const amf::TargetTasks uniform = amf::target_tasks(amf::NumericTable{{"x"}, {1, 2, 3, 4}, 4}, "t.csv");
  EXPECT_EQ(uniform.probs, std::vector<double>(4, 0.25));
  expect_invalid_argument_naming([] { amf::target_tasks(amf::NumericTable{{"x", "weight"}, {1, -1, 2, 3}, 2}, "t.csv"); }, "t.csv: row 1");
  expect_invalid_argument_naming([] { amf::target_tasks(amf::NumericTable{{"x", "weight"}, {1, 0, 2, 0}, 2}, "t.csv"); }, "sums to 0");
  expect_invalid_argument_naming([] { amf::target_tasks(amf::NumericTable{{"weight"}, {1}, 1}, "t.csv"); }, "no task columns");
}

}  // namespace
