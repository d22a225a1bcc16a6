// The amf command-line tool. Exit codes (stable, for scripts): 0 success (and --help);
// 1 runtime failure; 2 bad arguments, configuration or input data; 3 plotting failed (the CSV
// and JSON results are written all the same).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "amf/backend.hpp"
#include "amf/config.hpp"
#include "amf/error.hpp"
#include "amf/study.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitPlot = 3;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int run_gp_study_command(const amf::GpStudyConfig& cfg, const std::string& out, bool plots) {
  std::fprintf(stderr, "[amf gp-study] %zu k values x %d seeds x %zu methods, %d rounds of %d demos, %d candidates -> %s\n",
               cfg.k_values.size(), cfg.seeds, cfg.methods.size(), cfg.rounds, cfg.batch_size,
               cfg.shooting_budget, out.c_str());
  // Checkpoints live under the results directory: running the same command again after an
  // interruption resumes every run from its last completed round.
  const auto results = amf::run_gp_study(
      cfg,
      [](int done, int total, double elapsed) {
        const double eta = done > 0 ? elapsed / done * (total - done) : 0;
        std::fprintf(stderr, "\r[amf gp-study] %d/%d runs done, %.0f s elapsed, about %.0f s left   ", done,
                     total, elapsed, eta);
        if (done == total) std::fprintf(stderr, "\n");
      },
      out + "/runs");
  std::cout << amf::write_gp_study_outputs(cfg, results, out);
  std::cout << "results: " << out << "/{curves.csv,summary_curves.csv,picks.csv,summary.json}\n";
  std::cout.flush();  // the table before the plot script's own output
  if (!plots) return 0;
  const std::string cmd = "/usr/bin/python3 " + shell_quote(std::string(AMF_TOOLS_DIR) + "/plot_gp_study.py") +
                          " " + shell_quote(out);
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "amf: plotting failed (" << cmd << "); the CSV and JSON results are complete\n";
    return kExitPlot;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"amf: active multi-task fine-tuning (which tasks to demonstrate next)"};
  app.require_subcommand(1);

  auto* info = app.add_subcommand("info", "Version, compiled backends and visible devices");

  auto* study = app.add_subcommand("gp-study", "AMF-GP vs baselines on the 2D integrator (paper Fig. 3)");
  std::string preset = "default", out = "results/gp_study", backend = "auto";
  int seeds = -1, rounds = -1, batch = -1, budget = -1, threads = 0;
  std::vector<int> ks;
  bool no_plots = false;
  study->add_option("--preset", preset, "default (minutes on 2 cores) or paper (paper-sized)")
      ->check(CLI::IsMember({"default", "paper"}));
  study->add_option("--out", out, "Results directory");
  study->add_option("--seeds", seeds, "Seeds (overrides the preset)");
  study->add_option("--rounds", rounds, "Rounds of data collection (overrides the preset)");
  study->add_option("--batch-size", batch, "Demonstrations per round (overrides the preset)");
  study->add_option("--shooting-budget", budget, "Random-shooting candidates per AMF selection");
  study->add_option("--k", ks, "Pre-training task counts k to run (default 12..1)");
  study->add_option("--threads", threads, "Worker threads (0 = one per core)");
  study->add_option("--backend", backend, "auto, cpu or cuda");
  study->add_flag("--no-plots", no_plots, "Skip the PNG/SVG plots");

  auto* run = app.add_subcommand("run", "Run the study a TOML configuration file describes (see configs/)");
  std::string config_path, run_out;
  bool run_no_plots = false;
  run->add_option("config", config_path, "TOML configuration file")->required();
  run->add_option("--out", run_out, "Results directory (overrides the file's `out`)");
  run->add_flag("--no-plots", run_no_plots, "Skip the PNG/SVG plots");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return kExitUsage;
  }
  try {
    if (info->parsed()) {
      std::cout << "amf 0.1.0\n"
                << "cuda compiled: " << (amf::cuda_compiled() ? "yes" : "no") << "\n"
                << "cuda devices: " << amf::cuda_device_count() << "\n"
                << "backends: cpu" << (amf::cuda_compiled() ? " (cuda criterion backend: not yet)" : "") << "\n";
      return 0;
    }
    if (run->parsed()) {
      const amf::StudyRunConfig rc = amf::load_study_config(config_path);
      return run_gp_study_command(rc.gp, run_out.empty() ? rc.out_dir : run_out, !run_no_plots);
    }
    amf::GpStudyConfig cfg = amf::gp_study_preset(preset);
    if (seeds >= 0) cfg.seeds = seeds;
    if (rounds >= 0) cfg.rounds = rounds;
    if (batch >= 0) cfg.batch_size = batch;
    if (budget >= 0) cfg.shooting_budget = budget;
    if (!ks.empty()) cfg.k_values = ks;
    cfg.threads = threads;
    cfg.backend = backend;
    return run_gp_study_command(cfg, out, !no_plots);
  } catch (const amf::InvalidArgument& e) {
    std::cerr << "amf: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "amf: " << e.what() << "\n";
    return kExitRuntime;
  }
}
