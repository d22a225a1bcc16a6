#pragma once
// Many studies at once: a sweep expands a grid (seeds x pre-training skews k x methods x
// hyperparameters) into independent runs. Every run is one (k, seed, method, grid point) of the
// GP study with its own results directory, its own per-round checkpoints and its own lock, so
// runs can be spread over MPI ranks, Slurm array tasks or threads, killed at any point and
// started again: rerunning finishes exactly the missing work. A merge step builds the combined
// tables and plots, per grid point, with the same files as `amf run`.
//
// Layout of a sweep directory OUT:
//   OUT/sweep.json                the expanded grid (a rerun with another grid is refused)
//   OUT/runs/<id>/checkpoints/    per-round checkpoints of the run
//   OUT/runs/<id>/result.json     the run's records, written atomically when it completes
//   OUT/runs/<id>/.lock           held (flock) while a process works on the run
//   OUT/merged/<variant>/         curves.csv, summary_curves.csv, picks.csv, summary.{txt,json}
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "amf/harness/config.hpp"

namespace amf {

struct SweepConfig {
  StudyRunConfig base;              // the study every run starts from
  std::vector<int> seeds;           // seed indices (a run's seed is the same as in `amf run`)
  std::vector<int> k_values;        // pre-training skews
  std::vector<std::string> methods;
  // Hyperparameter axes: a study field by its dotted name and the values it takes.
  std::vector<std::pair<std::string, std::vector<double>>> grid;
  std::string source;               // the file it came from, for error messages
};

// A study TOML file (same sections as `amf run`) with a [sweep] table:
//   [sweep]
//   seeds = 4                 # or a list of seed indices, e.g. [0, 1, 2, 3]
//   k_values = [12, 6, 1]     # default: the base study's
//   methods = ["amf", "uniform"]
//   [sweep.grid]
//   "policy.noise_variance" = [0.0025, 0.01]
// Every expanded run is validated; errors name the file and the field.
SweepConfig load_sweep_config(const std::string& path);

struct SweepRun {
  std::string id;       // unique directory name, e.g. "k6_seed3_amf" or "k6_seed3_amf__policy.noise_variance=0.01"
  std::string variant;  // the grid point, e.g. "policy.noise_variance=0.01" ("base" without a grid)
  StudyRunConfig config;
};

// The runs of the grid in a fixed order (variant, k, seed, method); ids are unique (checked).
std::vector<SweepRun> expand_sweep(const SweepConfig& sweep);

// Busy: another process held the run and this call did not wait. FinishedElsewhere: this call
// waited for the holder, which completed it.
enum class RunOutcome { Completed, AlreadyDone, Busy, FinishedElsewhere };

struct SweepRunReport {
  std::string id;
  RunOutcome outcome;
  int rounds_computed = 0;  // rounds evaluated by this call (0 when done before or busy)
};

using SweepProgress = std::function<void(const SweepRunReport& report, int finished, int total)>;

// Runs the runs whose index i satisfies i % workers == worker (an MPI rank or a Slurm array
// task), `threads` at a time (0: one per core). A run another process holds is first skipped;
// with wait_for_busy, once the free runs are done this call waits for each held one in turn and
// then either finds it completed (FinishedElsewhere) or, if its holder died, resumes it from its
// checkpoint. Without, it is reported Busy and left alone. So two processes (two shells, a
// duplicated array task) on one directory share the work and both end with every run complete.
// Writes OUT/sweep.json first; refuses a directory holding another grid.
std::vector<SweepRunReport> run_sweep(const SweepConfig& sweep, const std::string& out_dir, int worker = 0,
                                      int workers = 1, int threads = 0, const SweepProgress& progress = {},
                                      bool wait_for_busy = false);

// Builds OUT/merged/<variant>/ from every completed run and returns the printed tables. Missing
// runs are an amf::Error listing them, unless allow_partial (then they are listed in the table).
std::string merge_sweep(const SweepConfig& sweep, const std::string& out_dir, bool allow_partial = false);

}  // namespace amf
