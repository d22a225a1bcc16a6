// amf gp-study (flags) and amf run CONFIG (a TOML file): the same study runner.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "amf/error.hpp"
#include "amf/harness/config.hpp"
#include "amf/harness/io.hpp"
#include "amf/harness/study.hpp"
#include "cli/commands.hpp"
#include "cli/progress_line.hpp"

namespace amf {
namespace cli {
namespace {

// `out_from` names where `out` came from, for the message when it cannot be used.
int run_study(const GpStudyConfig& cfg, const std::string& out, const std::string& out_from, bool plots) {
  validate(cfg);  // a bad configuration creates nothing
  prepare_output_directory(out, out_from);
  std::fprintf(stderr, "[amf gp-study] %zu k values x %d seeds x %zu methods, %d rounds of %d demos, %d candidates -> %s\n",
               cfg.k_values.size(), cfg.seeds, cfg.methods.size(), cfg.rounds, cfg.batch_size,
               cfg.shooting_budget, out.c_str());
  // Checkpoints live under the results directory: running the same command again after an
  // interruption resumes every run from its last completed round.
  const auto results = run_gp_study(
      cfg,
      [](const StudyProgress& p) { print_progress_line("gp-study", "runs", p); },
      out + "/runs");
  std::cout << write_gp_study_outputs(cfg, results, out);
  std::cout << "results: " << out << "/{curves.csv,summary_curves.csv,picks.csv,summary.json}\n";
  std::cout.flush();  // the table before the plot script's own output
  return plots ? plot_study(out) : kExitOk;
}

}  // namespace

Command add_gp_study(CLI::App& app) {
  struct Options {
    std::string preset = "default", out = "results/gp_study", backend = "auto";
    // Unset flags keep the preset's value; a set one, even a negative, goes to validation.
    std::optional<int> seeds, rounds, batch, budget;
    int threads = 0;
    std::vector<int> ks;
    bool no_plots = false;
  };
  auto o = std::make_shared<Options>();
  auto* study = app.add_subcommand("gp-study", "AMF-GP vs baselines on the 2D integrator (paper Fig. 3); resumes in --out");
  study->add_option("--preset", o->preset, "default (minutes on 2 cores) or paper (paper-sized)")
      ->check(CLI::IsMember({"default", "paper"}));
  study->add_option("--out", o->out, "Results directory (checkpoints in OUT/runs; rerun to resume)");
  study->add_option("--seeds", o->seeds, "Seeds (overrides the preset)");
  study->add_option("--rounds", o->rounds, "Rounds of data collection (overrides the preset)");
  study->add_option("--batch-size", o->batch, "Demonstrations per round (overrides the preset)");
  study->add_option("--shooting-budget", o->budget, "Random-shooting candidates per AMF selection");
  study->add_option("--k", o->ks, "Pre-training task counts k to run (default 12..1)");
  study->add_option("--threads", o->threads, "Worker threads (0 = one per core)");
  study->add_option("--backend", o->backend, "auto, cpu or cuda");
  study->add_flag("--no-plots", o->no_plots, "Skip the PNG/SVG plots");
  return [o] {
    GpStudyConfig cfg = gp_study_preset(o->preset);
    if (o->seeds) cfg.seeds = *o->seeds;
    if (o->rounds) cfg.rounds = *o->rounds;
    if (o->batch) cfg.batch_size = *o->batch;
    if (o->budget) cfg.shooting_budget = *o->budget;
    if (!o->ks.empty()) cfg.k_values = o->ks;
    cfg.threads = o->threads;
    cfg.backend = o->backend;
    return run_study(cfg, o->out, "--out", !o->no_plots);
  };
}

Command add_run(CLI::App& app) {
  struct Options {
    std::string config, out;
    bool no_plots = false, fields = false;
  };
  auto o = std::make_shared<Options>();
  auto* run = app.add_subcommand("run", "Run the study a TOML configuration file describes (see configs/); resumes");
  run->add_option("config", o->config, "TOML configuration file");
  run->add_option("--out", o->out, "Results directory (overrides the file's `out`)");
  run->add_flag("--no-plots", o->no_plots, "Skip the PNG/SVG plots");
  run->add_flag("--fields", o->fields, "Print every field of a study file with its valid values, and exit");
  return [o] {
    if (o->fields) {
      std::cout << describe_gp_study_fields();
      return kExitOk;
    }
    if (o->config.empty()) throw InvalidArgument("run needs a CONFIG file (see configs/gp_study.toml; --fields lists the fields)");
    const StudyRunConfig rc = load_study_config(o->config);
    return run_study(rc.gp, o->out.empty() ? rc.out_dir : o->out,
                     o->out.empty() ? "`out` in " + o->config : std::string("--out"), !o->no_plots);
  };
}

}  // namespace cli
}  // namespace amf
