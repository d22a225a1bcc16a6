#include "amf/harness/tables.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"

namespace amf {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    const auto b = cell.find_first_not_of(" \t\r"), e = cell.find_last_not_of(" \t\r");
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

std::string fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

NumericTable read_numeric_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InvalidArgument(path + ": cannot open the file");
  NumericTable t;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    auto cells = split(line);
    if (t.columns.empty()) {
      // A header is names; a first row of numbers is data without one (it used to be taken
      // as the header and silently lost).
      const bool all_numbers = std::all_of(cells.begin(), cells.end(), [](const std::string& c) {
        char* end = nullptr;
        std::strtod(c.c_str(), &end);
        return !c.empty() && *end == '\0';
      });
      if (all_numbers)
        throw InvalidArgument(path + ":" + std::to_string(line_no) + ": the first row is numbers, not column names: "
                              "the file needs a header row (e.g. task_0,task_1,...)");
      t.columns = cells;
      continue;
    }
    if (cells.size() != t.columns.size())
      throw InvalidArgument(path + ":" + std::to_string(line_no) + ": " + std::to_string(cells.size()) +
                            " values, but the header has " + std::to_string(t.columns.size()) + " columns");
    for (std::size_t c = 0; c < cells.size(); ++c) {
      char* end = nullptr;
      const double v = std::strtod(cells[c].c_str(), &end);
      // strtod also reads hexadecimal (0x10 is 16): only decimal numbers are accepted.
      if (cells[c].empty() || *end != '\0' || cells[c].find_first_of("xX") != std::string::npos)
        throw InvalidArgument(path + ":" + std::to_string(line_no) + ": column '" + t.columns[c] + "' = '" +
                              cells[c] + "' is not a decimal number");
      if (!std::isfinite(v))
        throw InvalidArgument(path + ":" + std::to_string(line_no) + ": column '" + t.columns[c] + "' is " + cells[c] +
                              " (must be finite)");
      t.values.push_back(v);
    }
    ++t.rows;
  }
  if (t.columns.empty()) throw InvalidArgument(path + ": empty file (expected a header row)");
  if (t.rows == 0) throw InvalidArgument(path + ": the table has a header but no rows");
  return t;
}

namespace {

void write_selection_files(const std::string& dir, const MatrixView<double>& candidates, const CriterionResult& r,
                           nlohmann::json info) {
  make_directories(dir);
  const std::int64_t N = candidates.rows, dc = candidates.cols;
  std::vector<std::int64_t> pick_order(N, -1);
  for (std::size_t b = 0; b < r.batch.size(); ++b)
    if (pick_order[r.batch[b]] < 0) pick_order[r.batch[b]] = static_cast<std::int64_t>(b);

  std::ostringstream csv;
  csv << "candidate";
  for (std::int64_t d = 0; d < dc; ++d) csv << ",task_" << d;
  csv << ",J,info_gain,pick\n";
  for (std::int64_t c = 0; c < N; ++c) {
    csv << c;
    for (std::int64_t d = 0; d < dc; ++d) csv << ',' << fmt(candidates(c, d));
    csv << ',' << fmt(r.J[c]) << ',' << fmt(r.info_gain[c]) << ',' << pick_order[c] << '\n';
  }

  info["batch"] = nlohmann::json::array();
  for (std::size_t b = 0; b < r.batch.size(); ++b) {
    std::vector<double> task(candidates.row(r.batch[b]), candidates.row(r.batch[b]) + dc);
    info["batch"].push_back({{"candidate", r.batch[b]}, {"task", task}, {"J", r.batch_J[b]},
                             {"info_gain", r.info_gain[r.batch[b]]},
                             {"pseudo_demo_trajectory", r.pseudo_demo_trajectory[b]}});
  }
  info["num_candidates"] = N;
  info["num_target_points"] = r.num_target_points;
  // One selection's two files are replaced together, or neither is.
  write_files_together({{dir + "/scores.csv", csv.str()}, {dir + "/selection.json", info.dump(2) + "\n"}});
}

}  // namespace

void write_selection(const std::string& dir, const CriterionProblem& p, const CriterionResult& r) {
  nlohmann::json info;
  info["criterion"] = "amf-gp";
  info["num_targets"] = p.targets.rows;
  info["num_pool_trajectories"] = p.num_trajectories();
  info["settings"] = {{"state_lengthscale", p.kernel.state_lengthscale},
                      {"task_lengthscale", p.kernel.task_lengthscale},
                      {"signal_variance", p.kernel.signal_variance},
                      {"noise_variance", p.noise_variance},
                      {"clip", {p.clip.lo, p.clip.hi}},
                      {"min_weight", p.min_weight},
                      {"batch_size", p.batch_size}};
  write_selection_files(dir, p.candidates, r, info);
}

void write_selection(const std::string& dir, const MatrixView<double>& candidates, const FeatureCriterionProblem& p,
                     const CriterionResult& r) {
  nlohmann::json info;
  info["criterion"] = "amf-nn";
  info["num_targets"] = p.target_logp.rows;
  info["num_pool_trajectories"] = p.traj_offsets.size - 1;
  info["settings"] = {{"noise_variance", p.noise_variance},
                      {"clip", {p.clip.lo, p.clip.hi}},
                      {"min_weight", p.min_weight},
                      {"batch_size", p.batch_size}};
  write_selection_files(dir, candidates, r, info);
}

TargetTasks target_tasks(const NumericTable& table, const std::string& file) {
  const auto cols = static_cast<std::int64_t>(table.columns.size());
  std::int64_t wcol = -1;
  for (std::int64_t c = 0; c < cols; ++c)
    if (table.columns[c] == "weight") wcol = c;
  TargetTasks out;
  out.rows = table.rows;
  out.dim = cols - (wcol >= 0 ? 1 : 0);
  if (out.dim < 1) throw InvalidArgument(file + ": no task columns (only 'weight')");
  for (std::int64_t r = 0; r < table.rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      const double v = table.values[r * cols + c];
      if (c == wcol && !(v >= 0 && std::isfinite(v)))
        throw InvalidArgument(file + ": row " + std::to_string(r + 1) + ", column 'weight' = " + std::to_string(v) +
                              " (weights must be finite and >= 0)");
      (c == wcol ? out.probs : out.tasks).push_back(v);
    }
  if (wcol < 0) out.probs.assign(table.rows, 1.0 / static_cast<double>(table.rows));
  double total = 0;
  for (double p : out.probs) total += p;
  if (!(total > 0) || !std::isfinite(total))
    throw InvalidArgument(file + ": column 'weight' sums to " + std::to_string(total) +
                          " (the weights must sum to a positive finite number)");
  for (double& p : out.probs) p /= total;  // weights are relative; the criterion wants probabilities
  return out;
}

}  // namespace amf
