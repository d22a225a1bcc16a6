// Expanding a sweep into runs and running a share of them. Each run is an ordinary GP study of
// one (k, seed, method) with its own checkpoint directory, so the resume logic is the study's
// own; the sweep adds the lock that keeps two processes out of one run directory and the result
// file that marks a run done.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "amf/harness/sweep.hpp"
#include "io/run_lock.hpp"
#include "io/study_config_schema.hpp"
#include "study/number_format.hpp"
#include "study/run_checkpoint.hpp"
#include "study/run_result.hpp"
#include "study/study_json.hpp"

namespace amf {
namespace {

std::string format_value(double v) { return detail::format_general(v, 6); }

// The most runs one sweep expands to, far above any sweep so far (configs/sweep.toml has 72; a
// paper-scale grid point 300). Every load expands and validates all runs, and the runs, their ids
// and OUT/sweep.json (a configuration per run) are held in memory: 50000 runs take a fraction of
// a second and about 100 MB. Larger grids belong in several sweep files.
constexpr double kMaxSweepRuns = 50000;

void set_grid_value(StudyRunConfig& cfg, const std::string& field, double v, const std::string& source) {
  toml::table t;
  // The range test first: converting a double beyond int64_t's range is undefined.
  if (std::abs(v) < 1e15 && v == static_cast<double>(static_cast<int64_t>(v)))
    t.insert("v", static_cast<int64_t>(v));
  else
    t.insert("v", v);
  detail::set_study_field(cfg, field, *t.get("v"), source);
}

// Every combination of the grid axes, as (variant name, values per axis).
std::vector<std::pair<std::string, std::vector<double>>> grid_points(const SweepConfig& s) {
  std::vector<std::pair<std::string, std::vector<double>>> points{{"", {}}};
  for (const auto& [field, values] : s.grid) {
    std::vector<std::pair<std::string, std::vector<double>>> next;
    for (const auto& [name, vals] : points)
      for (double v : values) {
        auto vs = vals;
        vs.push_back(v);
        next.emplace_back(name + (name.empty() ? "" : ",") + field + "=" + format_value(v), vs);
      }
    points = std::move(next);
  }
  if (s.grid.empty()) points.front().first = "base";
  return points;
}

std::string manifest(const SweepConfig& s, const std::vector<SweepRun>& runs) {
  nlohmann::json j;
  j["source"] = s.source;
  j["runs"] = nlohmann::json::array();
  for (const auto& r : runs)
    j["runs"].push_back({{"id", r.id}, {"config", nlohmann::json::parse(detail::gp_run_fingerprint(r.config.gp))}});
  return j.dump(1) + "\n";
}

void write_or_check_manifest(const SweepConfig& s, const std::vector<SweepRun>& runs, const std::string& out) {
  const std::string path = out + "/sweep.json", wanted = manifest(s, runs);
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    nlohmann::json have, want = nlohmann::json::parse(wanted);
    try {
      have = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw InvalidArgument("'" + path + "' is unreadable (" + e.what() + ")");
    }
    if (have.value("runs", nlohmann::json()) != want["runs"])
      throw InvalidArgument("'" + out + "' holds a sweep of another grid or configuration (" + path +
                            "); finish it with its own file or choose another output directory");
    return;
  }
  write_file_atomic(path, wanted);  // every rank writes the same bytes; rename makes it atomic
}

int rounds_saved(const SweepRun& run, const std::string& checkpoint_dir) {
  const auto& gp = run.config.gp;
  const auto progress = detail::load_run_progress(
      detail::run_checkpoint_path(checkpoint_dir, gp.k_values.front(), gp.first_seed), detail::gp_run_fingerprint(gp));
  int saved = 0;
  for (const auto& [method, p] : progress) saved += p.next_round;
  return saved;
}

// With the run's lock held: nothing to do when its result exists, else run (or resume) it.
SweepRunReport run_locked(const SweepRun& run, const std::string& dir, RunOutcome if_done) {
  if (std::filesystem::exists(dir + "/result.json")) return {run.id, if_done, 0};
  const std::string checkpoints = dir + "/checkpoints";
  const int before = rounds_saved(run, checkpoints);
  const GpStudyResults results = run_gp_study(run.config.gp, {}, checkpoints);
  detail::save_run_result(dir + "/result.json", results);
  const int total = static_cast<int>(run.config.gp.methods.size()) * (run.config.gp.rounds + 1);
  return {run.id, RunOutcome::Completed, total - before};
}

SweepRunReport run_one(const SweepRun& run, const std::string& out) {
  const std::string dir = out + "/runs/" + run.id;
  make_directories(dir);
  auto lock = detail::DirectoryLock::try_acquire(dir);
  if (!lock) return {run.id, RunOutcome::Busy, 0};
  return run_locked(run, dir, RunOutcome::AlreadyDone);
}

// A run another process held: wait for its lock; the holder either completed it or died (the
// kernel released its flock), and then this process resumes it from the checkpoint.
SweepRunReport wait_and_run(const SweepRun& run, const std::string& out) {
  const std::string dir = out + "/runs/" + run.id;
  const auto lock = detail::DirectoryLock::acquire(dir);
  return run_locked(run, dir, RunOutcome::FinishedElsewhere);
}

}  // namespace

std::vector<SweepRun> expand_sweep(const SweepConfig& s) {
  if (s.seeds.empty() || s.k_values.empty() || s.methods.empty())
    throw InvalidArgument(s.source + ": a sweep needs at least one seed, one k and one method");
  // Counted before anything is built: a few short lines (seeds = 1000000, or a dozen axes of a few
  // values each) would otherwise expand until memory runs out.
  double points = 1;
  for (const auto& axis : s.grid) points *= static_cast<double>(axis.second.size());
  const double count = points * static_cast<double>(s.k_values.size()) * static_cast<double>(s.seeds.size()) *
                       static_cast<double>(s.methods.size());
  if (count > kMaxSweepRuns)
    throw InvalidArgument(s.source + ": the sweep would have " + detail::format_general(count, 15) +
                          " runs (grid points x k values x seeds x methods = " + detail::format_general(points, 15) +
                          " x " + std::to_string(s.k_values.size()) + " x " + std::to_string(s.seeds.size()) + " x " +
                          std::to_string(s.methods.size()) + "), more than " + detail::format_general(kMaxSweepRuns) +
                          "; split it into several sweep files");
  std::vector<SweepRun> runs;
  std::set<std::string> ids;
  StudyRunConfig point = s.base;
  std::vector<double> applied;  // the grid values `point` holds
  for (const auto& [variant, values] : grid_points(s)) {
    // The last axes change from one point to the next, the first rarely: setting only the axes
    // that changed gives the same configuration with a few field settings per point, not one per axis.
    for (std::size_t a = 0; a < s.grid.size(); ++a)
      if (applied.empty() || values[a] != applied[a]) set_grid_value(point, s.grid[a].first, values[a], s.source);
    applied = values;
    for (int k : s.k_values)
      for (int seed : s.seeds)
        for (const auto& method : s.methods) {
          SweepRun r;
          r.variant = variant;
          r.config = point;
          r.config.gp.k_values = {k};
          r.config.gp.seeds = 1;
          r.config.gp.first_seed = seed;
          r.config.gp.methods = {method};
          r.config.gp.threads = 1;
          try {
            validate(r.config.gp);
          } catch (const InvalidArgument& e) {
            throw InvalidArgument(s.source + ": sweep point " + variant + ", k " + std::to_string(k) + ", seed " +
                                  std::to_string(seed) + ", method " + method + ": " + e.what());
          }
          r.id = "k" + std::to_string(k) + "_seed" + std::to_string(seed) + "_" + method +
                 (s.grid.empty() ? "" : "__" + variant);
          if (!ids.insert(r.id).second)
            throw InvalidArgument(s.source + ": two runs of the sweep would share the directory '" + r.id +
                                  "' (grid values equal to 6 significant digits?)");
          runs.push_back(std::move(r));
        }
  }
  return runs;
}

std::vector<SweepRunReport> run_sweep(const SweepConfig& s, const std::string& out, int worker, int workers,
                                      int threads, const SweepProgress& progress, bool wait_for_busy) {
  if (workers < 1 || worker < 0 || worker >= workers)
    throw InvalidArgument("sweep worker " + std::to_string(worker) + " of " + std::to_string(workers) +
                          " (need 0 <= worker < workers)");
  const std::vector<SweepRun> runs = expand_sweep(s);
  make_directories(out + "/runs");
  write_or_check_manifest(s, runs, out);

  std::vector<const SweepRun*> mine;
  for (std::size_t i = static_cast<std::size_t>(worker); i < runs.size(); i += static_cast<std::size_t>(workers))
    mine.push_back(&runs[i]);
  std::vector<SweepRunReport> reports(mine.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> finished{0};
  std::mutex report_mutex;
  std::exception_ptr error;
  auto work = [&] {
    for (std::size_t j; (j = next++) < mine.size();) {
      try {
        reports[j] = run_one(*mine[j], out);
      } catch (...) {
        std::lock_guard<std::mutex> lock(report_mutex);
        if (!error) error = std::current_exception();
        next = mine.size();
        return;
      }
      std::lock_guard<std::mutex> lock(report_mutex);
      const int f = ++finished;
      if (progress) progress(reports[j], f, static_cast<int>(mine.size()));
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t n = std::min<std::size_t>(threads > 0 ? threads : hw, std::max<std::size_t>(1, mine.size()));
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < n; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (wait_for_busy) {
    // One at a time, in order: each wait ends when its holder finishes or dies.
    for (std::size_t j = 0; j < mine.size(); ++j) {
      if (reports[j].outcome != RunOutcome::Busy) continue;
      reports[j] = wait_and_run(*mine[j], out);
      if (progress) progress(reports[j], static_cast<int>(mine.size()), static_cast<int>(mine.size()));
    }
  }
  return reports;
}

}  // namespace amf
