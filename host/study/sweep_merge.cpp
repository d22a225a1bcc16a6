// Merging a sweep: per grid point, the completed runs' records are put back in the order one
// `amf run` of the same grid would produce (k ascending, then seed, then method), so the merged
// files equal that study's files byte for byte, and written with the study's own output code.
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "amf/error.hpp"
#include "amf/harness/sweep.hpp"
#include "study/run_result.hpp"

namespace amf {

std::string merge_sweep(const SweepConfig& s, const std::string& out, bool allow_partial) {
  const std::vector<SweepRun> runs = expand_sweep(s);
  std::vector<std::string> variants;
  std::map<std::string, std::map<std::string, GpStudyResults>> done;  // variant -> id -> results
  std::vector<std::string> missing;
  for (const auto& r : runs) {
    if (std::find(variants.begin(), variants.end(), r.variant) == variants.end()) variants.push_back(r.variant);
    const std::string path = out + "/runs/" + r.id + "/result.json";
    if (std::filesystem::exists(path)) done[r.variant][r.id] = detail::load_run_result(path);
    else missing.push_back(r.id);
  }
  if (!missing.empty() && !allow_partial) {
    std::ostringstream os;
    os << missing.size() << " of " << runs.size() << " runs of the sweep in '" << out << "' are not complete:";
    for (std::size_t i = 0; i < missing.size() && i < 20; ++i) os << ' ' << missing[i];
    if (missing.size() > 20) os << " ...";
    os << " (run the sweep again to finish them, or merge with --partial)";
    throw Error(os.str());
  }

  std::ostringstream tables;
  for (const auto& variant : variants) {
    // The variant's study: the base with its grid values, every k, seed and method of the sweep.
    const auto first = std::find_if(runs.begin(), runs.end(), [&](const SweepRun& r) { return r.variant == variant; });
    GpStudyConfig cfg = first->config.gp;
    cfg.methods = s.methods;
    cfg.seeds = static_cast<int>(s.seeds.size());
    cfg.first_seed = *std::min_element(s.seeds.begin(), s.seeds.end());
    std::vector<int> ks = s.k_values;
    std::stable_sort(ks.begin(), ks.end());  // the order run_gp_study runs (k, seed) jobs in
    std::vector<int> seeds = s.seeds;
    std::sort(seeds.begin(), seeds.end());

    auto id_of = [&](int k, int seed, const std::string& m) {
      return "k" + std::to_string(k) + "_seed" + std::to_string(seed) + "_" + m +
             (s.grid.empty() ? "" : "__" + variant);
    };
    // A (k, seed) enters the tables only with every method complete, so the paired AMF - uniform
    // differences of a partial merge still compare like with like.
    GpStudyResults merged;
    std::vector<int> complete_ks;
    for (int k : ks) {
      for (int seed : seeds) {
        bool all = true;
        for (const auto& m : s.methods) all &= done[variant].count(id_of(k, seed, m)) > 0;
        if (!all) continue;
        if (complete_ks.empty() || complete_ks.back() != k) complete_ks.push_back(k);
        for (const auto& m : s.methods) {
          const GpStudyResults& r = done[variant].at(id_of(k, seed, m));
          merged.rounds.insert(merged.rounds.end(), r.rounds.begin(), r.rounds.end());
          merged.picks.insert(merged.picks.end(), r.picks.begin(), r.picks.end());
        }
      }
    }
    tables << "== " << variant << " ==\n";
    if (complete_ks.empty()) {
      tables << "(no (k, seed) has every method complete yet)\n";
      continue;
    }
    cfg.k_values.clear();  // the table lists k in the sweep file's order
    for (int k : s.k_values)
      if (std::count(complete_ks.begin(), complete_ks.end(), k)) cfg.k_values.push_back(k);
    tables << write_gp_study_outputs(cfg, merged, out + "/merged/" + variant);
  }
  if (!missing.empty()) {
    tables << "incomplete: " << missing.size() << " of " << runs.size() << " runs missing:";
    for (const auto& id : missing) tables << ' ' << id;
    tables << '\n';
  }
  return tables.str();
}

}  // namespace amf
