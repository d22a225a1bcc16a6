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

// Writes selection.json (the batch, its scores and pseudo-demonstrations, the settings) and
// scores.csv (every candidate: task, J, information gain, pick order or -1) into out_dir, each
// atomically.
void write_selection(const std::string& out_dir, const CriterionProblem& problem, const CriterionResult& result);
// The same for an AMF-NN selection; `candidates` are the tasks the feature problem was built for.
void write_selection(const std::string& out_dir, const MatrixView<double>& candidates,
                     const FeatureCriterionProblem& problem, const CriterionResult& result);

}  // namespace amf
