// Appendix H: the criterion against the realised gain of each candidate's demonstration.
#include "amf/harness/criterion_gain.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "amf/harness/bootstrap.hpp"
#include "amf/harness/integrator2d.hpp"
#include "amf/harness/io.hpp"
#include "prep/parallel.hpp"
#include "study/gp_evaluation.hpp"
#include "study/number_format.hpp"
#include "study/seed_mix.hpp"
#include "study/study_json.hpp"

namespace amf {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t t = i; t <= j; ++t) r[order[t]] = 0.5 * (i + j);  // ties share their mean rank
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) throw InvalidArgument("spearman: need two series of equal length >= 2");
  const auto rx = ranks(x), ry = ranks(y);
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / rx.size();
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / ry.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

void validate(const CriterionGainConfig& c) {
  validate(c.study);
  if (c.k < 1 || c.k > c.study.num_eval_tasks)
    throw InvalidArgument("criterion-gain: k = " + std::to_string(c.k) + " (must be in 1.." +
                          std::to_string(c.study.num_eval_tasks) + ")");
  if (c.candidates < 2 || c.candidates > 100000)
    throw InvalidArgument("criterion-gain: candidates = " + std::to_string(c.candidates) + " (must be in 2..100000)");
  if (c.seeds < 1 || c.seeds > 10000)
    throw InvalidArgument("criterion-gain: seeds = " + std::to_string(c.seeds) + " (must be in 1..10000)");
  if (c.threads < 0) throw InvalidArgument("criterion-gain: threads must be >= 0");
}

std::vector<CriterionGainRecord> run_criterion_gain(const CriterionGainConfig& c) {
  validate(c);
  const GpStudyConfig& cfg = c.study;
  std::vector<double> angles(c.candidates);
  for (int i = 0; i < c.candidates; ++i) angles[i] = kTwoPi * i / c.candidates;
  BackendOptions options;
  options.cpu_threads = c.threads;
  auto backend = make_backend(parse_backend_kind(cfg.backend), options);
  std::vector<CriterionGainRecord> out;
  for (int seed = 0; seed < c.seeds; ++seed) {
    const std::uint64_t run_seed = detail::gp_run_seed(cfg, c.k, seed);
    const Dataset pretrain = detail::pretraining_demonstrations(cfg, c.k, run_seed);
    const Integrator2DExpert expert(cfg.env);
    const std::uint64_t eval_seed = detail::mix_seed(run_seed, 7);  // the same episodes before and after
    const double before = detail::evaluate_gp_policy(cfg, pretrain, eval_seed).multitask_return;
    const detail::GoalSelectionProblem goals(cfg, pretrain, angles);
    const CriterionResult scores = evaluate_criterion(goals.problem, *backend);

    std::vector<double> after(c.candidates);
    detail::parallel_for(c.candidates, c.threads, [&](std::int64_t i) {
      Integrator2D local_env(cfg.env);
      Dataset data = pretrain;
      // One demonstration per candidate, its noise drawn per (seed, candidate).
      data.add(demonstrate(local_env, expert, goal_of_angle(angles[i], cfg.env.radius), cfg.expert_noise_std,
                           detail::mix_seed(run_seed, 500000 + i)));
      after[i] = detail::evaluate_gp_policy(cfg, data, eval_seed).multitask_return;
    });
    for (int i = 0; i < c.candidates; ++i)
      out.push_back({seed, angles[i], scores.J[i], scores.info_gain[i], before, after[i]});
  }
  return out;
}

std::string write_criterion_gain_outputs(const CriterionGainConfig& c, const std::vector<CriterionGainRecord>& records,
                                         const std::string& dir) {
  using detail::format_fixed;
  using detail::format_general;
  make_directories(dir);
  std::ostringstream csv;
  csv << "seed,angle_deg,J,info_gain,return_before,return_after,realised_gain\n";
  std::vector<std::vector<const CriterionGainRecord*>> by_seed(c.seeds);
  for (const auto& r : records) {
    csv << r.seed << ',' << format_general(r.angle * 360 / kTwoPi, 10) << ',' << format_general(r.J, 10) << ','
        << format_general(r.info_gain, 10) << ',' << format_general(r.return_before, 10) << ','
        << format_general(r.return_after, 10) << ',' << format_general(r.return_after - r.return_before, 10) << '\n';
    by_seed.at(r.seed).push_back(&r);
  }
  write_file_atomic(dir + "/gain.csv", csv.str());

  nlohmann::json js;
  js["config"] = {{"k", c.k}, {"candidates", c.candidates}, {"seeds", c.seeds}, {"num_eval_tasks", c.study.num_eval_tasks},
                  {"study", nlohmann::json::parse(detail::gp_run_fingerprint(c.study))}};
  std::vector<double> rho_gain, rho_j;
  std::ostringstream table;
  table << "Criterion against realised gain (k = " << c.k << ", " << c.candidates << " candidate goals, "
        << c.seeds << " seeds): Spearman rank correlation with the gain in multi-task return\n"
        << "  seed | info gain | -J    | best realised gain | gain of the criterion's pick\n";
  for (int s = 0; s < c.seeds; ++s) {
    std::vector<double> gain, info, negJ;
    for (const auto* r : by_seed[s]) {
      gain.push_back(r->return_after - r->return_before);
      info.push_back(r->info_gain);
      negJ.push_back(-r->J);
    }
    rho_gain.push_back(spearman(info, gain));
    rho_j.push_back(spearman(negJ, gain));
    const std::size_t pick = std::max_element(negJ.begin(), negJ.end()) - negJ.begin();
    const double best = *std::max_element(gain.begin(), gain.end());
    js["seeds"].push_back({{"seed", s}, {"spearman_info_gain", rho_gain.back()}, {"spearman_neg_J", rho_j.back()},
                           {"best_realised_gain", best}, {"pick_realised_gain", gain[pick]}});
    table << "  " << s << std::string(s < 10 ? 5 : 4, ' ') << "| " << format_fixed(rho_gain.back()) << "      | "
          << format_fixed(rho_j.back()) << "  | " << format_fixed(best, 3) << "              | "
          << format_fixed(gain[pick], 3) << '\n';
  }
  const IntervalKind kind = parse_interval_kind(c.study.interval);
  const MeanCI g = mean_ci(rho_gain, c.study.confidence, kind, c.study.bootstrap_resamples, 1);
  const MeanCI j = mean_ci(rho_j, c.study.confidence, kind, c.study.bootstrap_resamples, 2);
  js["mean_spearman_info_gain"] = {{"mean", g.mean}, {"lo", g.lo}, {"hi", g.hi}};
  js["mean_spearman_neg_J"] = {{"mean", j.mean}, {"lo", j.lo}, {"hi", j.hi}};
  table << "  mean [" << format_fixed(100 * c.study.confidence, 0) << "% " << interval_name(kind) << " CI]: info gain "
        << format_fixed(g.mean) << " [" << format_fixed(g.lo) << ", " << format_fixed(g.hi) << "], -J "
        << format_fixed(j.mean) << " [" << format_fixed(j.lo) << ", " << format_fixed(j.hi) << "]\n";
  write_file_atomic(dir + "/summary.json", js.dump(2) + "\n");
  write_file_atomic(dir + "/summary.txt", table.str());
  return table.str();
}

}  // namespace amf
