#pragma once
// Small numeric CSV tables (a header row, then numbers) for candidate and target task lists,
// and the files a selection writes.
#include <string>
#include <vector>

#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"

namespace amf {

struct NumericTable {
  std::vector<std::string> columns;
  std::vector<double> values;  // rows x columns, row-major
  std::int64_t rows = 0;
};

// amf::InvalidArgument naming file, line and column for a missing file, ragged row, empty
// table, a cell that is not a number, or NaN/Inf.
NumericTable read_numeric_csv(const std::string& path);

// Target tasks with their probabilities: every column of a task table but an optional one named
// `weight`, whose values are relative weights (non-negative, normalised to sum to 1; uniform
// without the column). `file` names the table in errors (a negative or non-finite weight, weights
// summing to 0, a table with no task columns).
struct TargetTasks {
  std::vector<double> tasks;  // rows x dim, row-major
  std::vector<double> probs;  // rows
  std::int64_t rows = 0;
  std::int64_t dim = 0;
  MatrixView<double> view() const { return MatrixView<double>(tasks.data(), rows, dim); }
};
TargetTasks target_tasks(const NumericTable& table, const std::string& file);

// Writes selection.json (the batch, its scores and pseudo-demonstrations, the settings) and
// scores.csv (every candidate: task, J, information gain, pick order or -1) into out_dir, each
// atomically.
void write_selection(const std::string& out_dir, const CriterionProblem& problem, const CriterionResult& result);
// The same for an AMF-NN selection; `candidates` are the tasks the feature problem was built for.
void write_selection(const std::string& out_dir, const MatrixView<double>& candidates,
                     const FeatureCriterionProblem& problem, const CriterionResult& result);

}  // namespace amf
