// Outputs of a policy study measured by success rate: raw curves, curves with CIs over seeds, the
// area under the success curve (AUC) per arm, paired differences against a reference arm, a JSON
// summary and a table. Plots are drawn from these files by tools/plot_nn_study.py.
#include "amf/harness/success_study_output.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "amf/harness/bootstrap.hpp"
#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "study/number_format.hpp"

namespace amf {
namespace {

std::string fmt(double v, int prec = 6) { return detail::format_general(v, prec); }
std::string fixed(double v, int prec = 2) { return detail::format_fixed(v, prec); }

std::string cell(const MeanCI& c) { return fixed(c.mean) + " [" + fixed(c.lo) + ", " + fixed(c.hi) + "]"; }

std::string pad(const std::string& s, std::size_t w) { return s + std::string(s.size() < w ? w - s.size() : 0, ' '); }

// Area under the success-rate curve over the demonstrations collected, normalised by the budget
// (trapezoids between evaluations; 1 = perfect from the first round on).
double auc(const std::vector<std::pair<int, double>>& curve, int budget) {
  double area = 0;
  for (std::size_t i = 1; i < curve.size(); ++i)
    area += 0.5 * (curve[i].second + curve[i - 1].second) * (curve[i].first - curve[i - 1].first);
  return area / budget;
}

nlohmann::json validated_config(const SuccessStudyOutputSpec& spec, const NnStudyResults& res) {
  const std::string where = "study outputs: ";
  if (spec.arm_labels.empty()) throw InvalidArgument(where + "arm_labels is empty");
  if (spec.budget < 1) throw InvalidArgument(where + "budget " + std::to_string(spec.budget) + " (must be >= 1)");
  if (!(spec.confidence > 0 && spec.confidence < 1))
    throw InvalidArgument(where + "confidence " + std::to_string(spec.confidence) + " (must be in (0, 1))");
  if (spec.bootstrap_resamples < 1) throw InvalidArgument(where + "bootstrap_resamples must be >= 1");
  parse_interval_kind(spec.interval);
  for (std::size_t i = 0; i < res.rounds.size(); ++i)
    if (res.rounds[i].task_success.size() != spec.task_names.size())
      throw InvalidArgument(where + "round record " + std::to_string(i) + " has " +
                            std::to_string(res.rounds[i].task_success.size()) + " task successes for " +
                            std::to_string(spec.task_names.size()) + " task names");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(spec.config_json);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(where + "config_json is not JSON: " + e.what());
  }
  if (!config.is_object()) throw InvalidArgument(where + "config_json is not a JSON object");
  return config;
}

}  // namespace

std::string write_success_study_outputs(const SuccessStudyOutputSpec& spec, const NnStudyResults& res,
                                        const std::string& dir) {
  nlohmann::json js;
  js["config"] = validated_config(spec, res);
  make_directories(dir);

  std::ostringstream curves;
  curves << "pretrain,arm,seed,round,demos,success";
  for (const auto& t : spec.task_names) curves << ",success_" << t;
  curves << '\n';
  // (pretrain, arm) -> seed -> [(demos, success)] in round order; (pretrain, arm, round) -> values
  std::map<std::pair<std::string, std::string>, std::map<int, std::vector<std::pair<int, double>>>> by_seed;
  std::map<std::tuple<std::string, std::string, int>, std::pair<int, std::vector<double>>> by_round;
  for (const auto& r : res.rounds) {
    curves << r.pretrain << ",\"" << r.arm << "\"," << r.seed << ',' << r.round << ',' << r.demos << ','
           << fmt(r.success, 10);
    for (double s : r.task_success) curves << ',' << fmt(s, 10);
    curves << '\n';
    by_seed[{r.pretrain, r.arm}][r.seed].push_back({r.demos, r.success});
    auto& slot = by_round[{r.pretrain, r.arm, r.round}];
    slot.first = r.demos;
    slot.second.push_back(r.success);
  }
  write_file_atomic(dir + "/curves.csv", curves.str());

  std::ostringstream picks;
  picks << "pretrain,arm,seed,round,task\n";
  for (const auto& p : res.picks)
    picks << p.pretrain << ",\"" << p.arm << "\"," << p.seed << ',' << p.round << ',' << p.task << '\n';
  write_file_atomic(dir + "/picks.csv", picks.str());

  std::uint64_t bseed = 1;
  const IntervalKind kind = parse_interval_kind(spec.interval);
  // Success rates and AUCs lie in [0, 1] (their differences in [-1, 1]); a t interval over a few
  // seeds can reach past that, and the part outside cannot hold the mean, so it is cut off.
  auto within = [](MeanCI ci, double lo, double hi) {
    ci.lo = std::max(ci.lo, lo);
    ci.hi = std::min(ci.hi, hi);
    return ci;
  };
  std::ostringstream summary;
  summary << "pretrain,arm,round,demos,success_mean,success_lo,success_hi\n";
  for (const auto& [key, v] : by_round) {
    const MeanCI ci = within(mean_ci(v.second, spec.confidence, kind, spec.bootstrap_resamples, bseed++), 0, 1);
    summary << std::get<0>(key) << ",\"" << std::get<1>(key) << "\"," << std::get<2>(key) << ',' << v.first << ','
            << fmt(ci.mean) << ',' << fmt(ci.lo) << ',' << fmt(ci.hi) << '\n';
  }
  write_file_atomic(dir + "/summary_curves.csv", summary.str());

  // Per (pretrain, arm): AUC and final success per seed (seed-ordered, so pairs line up).
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>> metric;
  for (const auto& [key, seeds] : by_seed)
    for (const auto& [seed, curve] : seeds) {
      metric[key].first.push_back(auc(curve, spec.budget));
      metric[key].second.push_back(curve.back().second);
    }

  std::ostringstream aucs, table;
  aucs << "pretrain,arm,auc_mean,auc_lo,auc_hi,final_mean,final_lo,final_hi\n";
  table << spec.env << " " << spec.figure << ": success rate after " << spec.budget
        << " demonstrations and area under the success curve (AUC), mean [" << fixed(100 * spec.confidence, 0)
        << "% " << (kind == IntervalKind::StudentT ? "t" : "bootstrap") << " CI] over " << spec.seeds << " seeds\n";
  const auto& labels = spec.arm_labels;
  const std::string ref =
      std::find(labels.begin(), labels.end(), "uniform") != labels.end() ? "uniform" : labels.front();
  js["reference_arm"] = ref;
  js["arms"] = nlohmann::json::array();
  for (const auto& pre : spec.pretrain) {
    table << "pre-training " << pre << "\n  " << pad("arm", 24) << " | " << pad("final success", 22) << " | "
          << pad("AUC", 22) << " | AUC - " << ref << " (paired)\n";
    const auto ref_it = metric.find({pre, ref});
    for (const auto& label : labels) {
      const auto it = metric.find({pre, label});
      if (it == metric.end()) continue;
      const MeanCI a = within(mean_ci(it->second.first, spec.confidence, kind, spec.bootstrap_resamples, bseed++), 0, 1);
      const MeanCI f = within(mean_ci(it->second.second, spec.confidence, kind, spec.bootstrap_resamples, bseed++), 0, 1);
      aucs << pre << ",\"" << label << "\"," << fmt(a.mean) << ',' << fmt(a.lo) << ',' << fmt(a.hi) << ','
           << fmt(f.mean) << ',' << fmt(f.lo) << ',' << fmt(f.hi) << '\n';
      nlohmann::json row = {{"pretrain", pre},
                            {"arm", label},
                            {"auc", {{"mean", a.mean}, {"lo", a.lo}, {"hi", a.hi}}},
                            {"final_success", {{"mean", f.mean}, {"lo", f.lo}, {"hi", f.hi}}}};
      table << "  " << pad(label, 24) << " | " << pad(cell(f), 22) << " | " << pad(cell(a), 22);
      if (ref_it != metric.end() && label != ref && ref_it->second.first.size() == it->second.first.size()) {
        const auto& u = ref_it->second.first;
        const auto& m = it->second.first;
        std::vector<double> diff(m.size());
        for (std::size_t i = 0; i < m.size(); ++i) diff[i] = m[i] - u[i];
        const MeanCI d = within(mean_ci(diff, spec.confidence, kind, spec.bootstrap_resamples, bseed++), -1, 1);
        // Two seeds that happen to agree give a zero-width interval: no evidence, so no mark.
        const bool beats = d.lo > 0 && diff.size() >= 3;
        const bool loses = d.hi < 0 && diff.size() >= 3;
        row["auc_minus_reference"] = {{"mean", d.mean},          {"lo", d.lo}, {"hi", d.hi}, {"better_beyond_ci", beats},
                                      {"worse_beyond_ci", loses}};
        table << " | " << cell(d) << (beats ? " *" : loses ? " !" : "");
      }
      table << '\n';
      js["arms"].push_back(row);
    }
  }
  table << "  * the paired CI of AUC - " << ref << " lies above 0, ! below 0 (marks need at least 3 seeds)\n";
  write_file_atomic(dir + "/auc.csv", aucs.str());
  write_file_atomic(dir + "/summary.json", js.dump(2) + "\n");
  write_file_atomic(dir + "/summary.txt", table.str());
  return table.str();
}

}  // namespace amf
