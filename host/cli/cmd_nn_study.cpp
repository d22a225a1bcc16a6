// amf nn-study: the AMF-NN studies on the MuJoCo scenes (paper Fig. 4-6, App. G).
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "amf/harness/io.hpp"

#include "amf/torch/nn_study.hpp"
#include "cli/commands.hpp"
#include "cli/progress_line.hpp"

namespace amf {
namespace cli {

Command add_nn_study(CLI::App& app) {
  struct Options {
    std::string env = "kitchen", figure = "fig4", size = "default", out, backend = "auto";
    std::vector<std::string> pretrain;
    // Unset flags keep the preset's value; a set one, even a negative, goes to validation.
    std::optional<int> seeds, budget, episodes, steps;
    int threads = 0;
    bool no_plots = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("nn-study",
                                 "AMF-NN vs baselines on a MuJoCo scene (paper Fig. 4-6, App. E, G); resumes in --out");
  cmd->add_option("--env", o->env, "cupfaucet or kitchen")->check(CLI::IsMember({"cupfaucet", "kitchen"}));
  cmd->add_option("--figure", o->figure,
                  "fig4 (sigma^2 and isolation), fig5 (batch size at a fixed budget), fig6 (uncertainty "
                  "estimate), appg (forgetting strategies), appe (one-task pre-training, each task in turn)")
      ->check(CLI::IsMember({"fig4", "fig5", "fig6", "appg", "appe"}));
  cmd->add_option("--size", o->size, "default (minutes on 2 cores) or paper (paper-sized)")
      ->check(CLI::IsMember({"default", "paper"}));
  cmd->add_option("--out", o->out, "Results directory (default results/nn_<figure>_<env>; rerun to resume)");
  cmd->add_option("--pretrain", o->pretrain, "Pre-training distributions: uniform, skewed (the first two tasks), only-<j> (task j alone; paper App. E) (default: uniform skewed; appe: every only-<j>)");
  cmd->add_option("--seeds", o->seeds, "Seeds (overrides the preset)");
  cmd->add_option("--budget", o->budget, "Demonstrations collected by selection (overrides the preset)");
  cmd->add_option("--episodes", o->episodes, "Evaluation episodes per task and round (overrides the preset)");
  cmd->add_option("--steps-per-round", o->steps, "Fine-tuning Adam steps per round (overrides the preset)");
  cmd->add_option("--threads", o->threads, "Jobs at a time (0 = one per core)");
  cmd->add_option("--backend", o->backend, "Criterion backend: auto, cpu or cuda");
  cmd->add_flag("--no-plots", o->no_plots, "Skip the PNG/SVG plots");
  return [o] {
    NnStudyConfig cfg = nn_study_preset(o->figure, o->env, o->size);
    if (!o->pretrain.empty()) cfg.pretrain = o->pretrain;
    if (o->seeds) cfg.seeds = *o->seeds;
    if (o->budget) cfg.budget = *o->budget;
    if (o->episodes) cfg.eval_episodes = *o->episodes;
    if (o->steps) cfg.finetune.steps_per_round = *o->steps;
    cfg.threads = o->threads;
    cfg.backend = o->backend;
    validate(cfg);
    const std::string out = o->out.empty() ? "results/nn_" + o->figure + "_" + o->env : o->out;
    prepare_output_directory(out, "--out");
    std::fprintf(stderr, "[amf nn-study] %s %s: %zu pre-trainings x %d seeds x %zu arms, budget %d -> %s\n",
                 cfg.env.c_str(), cfg.figure.c_str(), cfg.pretrain.size(), cfg.seeds, cfg.arms.size(), cfg.budget,
                 out.c_str());
    const auto results = run_nn_study(
        cfg,
        [](const StudyProgress& p) { print_progress_line("nn-study", "arm runs", p); },
        out + "/runs");
    std::cout << write_nn_study_outputs(cfg, results, out);
    std::cout << "results: " << out << "/{curves.csv,summary_curves.csv,auc.csv,picks.csv,summary.json}\n";
    std::cout.flush();
    return o->no_plots ? kExitOk : plot_study(out, "plot_nn_study.py");
  };
}

}  // namespace cli
}  // namespace amf
