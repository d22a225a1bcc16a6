// amf criterion-gain: the criterion against the realised gain of each candidate's demonstration
// on the 2D integrator (paper appendix H, Fig. 15).
#include <cstdio>
#include <iostream>
#include <memory>

#include "amf/harness/criterion_gain.hpp"
#include "amf/harness/io.hpp"
#include "cli/commands.hpp"

namespace amf {
namespace cli {

Command add_criterion_gain(CLI::App& app) {
  struct Options {
    std::string preset = "default", out = "results/criterion_gain";
    int k = 3, candidates = 36, seeds = 4, threads = 0;
    bool no_plots = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("criterion-gain",
                                 "Criterion vs realised gain per candidate on the 2D integrator (paper App. H, Fig. 15)");
  cmd->add_option("--preset", o->preset, "Study settings: default or paper (GP, expert, evaluation)")
      ->check(CLI::IsMember({"default", "paper"}));
  cmd->add_option("--k", o->k, "Pre-trained tasks (skewed pre-training on the first k evaluation tasks)");
  cmd->add_option("--candidates", o->candidates, "Candidate goals, evenly spaced on the circle");
  cmd->add_option("--seeds", o->seeds, "Seeds (pre-training draws)");
  cmd->add_option("--threads", o->threads, "Candidates evaluated at a time (0 = one per core)");
  cmd->add_option("--out", o->out, "Results directory: gain.csv, summary.json, summary.txt and the plot");
  cmd->add_flag("--no-plots", o->no_plots, "Skip the PNG/SVG plot");
  return [o] {
    CriterionGainConfig cfg;
    cfg.study = gp_study_preset(o->preset);
    cfg.k = o->k;
    cfg.candidates = o->candidates;
    cfg.seeds = o->seeds;
    cfg.threads = o->threads;
    validate(cfg);
    prepare_output_directory(o->out, "--out");
    std::fprintf(stderr, "[amf criterion-gain] k %d, %d candidates x %d seeds -> %s\n", cfg.k, cfg.candidates,
                 cfg.seeds, o->out.c_str());
    const auto records = run_criterion_gain(cfg);
    std::cout << write_criterion_gain_outputs(cfg, records, o->out);
    std::cout << "results: " << o->out << "/{gain.csv,summary.json,summary.txt}\n";
    std::cout.flush();
    return o->no_plots ? kExitOk : plot_study(o->out, "plot_criterion_gain.py");
  };
}

}  // namespace cli
}  // namespace amf
