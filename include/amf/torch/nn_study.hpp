#pragma once
// The AMF-NN studies on the MuJoCo scenes (paper sections 5.2-5.4, Fig. 4-6, App. G; libamf_torch):
// an MLP policy behaviour-cloned on uniform or skewed pre-training, then rounds of task
// selection -> expert demonstrations -> fine-tuning -> evaluation, for several "arms" (a task
// selector with its uncertainty estimate and a forgetting strategy). Success rate per round,
// the area under the success curve, 90 % bootstrap CIs over seeds.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "amf/torch/fine_tuner.hpp"
#include "amf/torch/finetune.hpp"
#include "amf/torch/nn_selection.hpp"
#include "amf/harness/study_progress.hpp"
#include "amf/harness/success_study_output.hpp"
#include "amf/problem.hpp"
#include "amf/torch/torch_policy.hpp"

namespace amf {

// One curve of a figure.
struct NnArm {
  std::string label;                 // e.g. "amf s2=0.1", "uniform", "uniform, no isolation"
  // amf | uniform | dropout | rebalance (privileged: the tasks the deployed policy fails most at
  // the last evaluation) | max-loss (the task whose warm-start demonstration the selection copy
  // imitates worst)
  std::string selector = "amf";
  GradientEmbedding embedding = GradientEmbedding::Full;  // amf: loss-gradient embedding
  double noise_variance = 0.1;       // amf: sigma^2, the one AMF hyperparameter
  // amf: when > 0, sigma^2 = relative_noise x the mean prior variance k(z, z) of the target points
  // at each selection (noise_variance is then unused): the same rule for embeddings whose kernels
  // have different scales. 0.2 gives sigma^2 = 100 at the full gradient's prior variances of ~500.
  double relative_noise = 0.0;
  Forgetting forgetting = Forgetting::ParameterIsolation;
  double forgetting_lambda = 0.0;    // l2, ewc
  int batch_size = 0;                // demonstrations per round (0: the study's batch_size)
};

struct NnStudyConfig {
  std::string env = "kitchen";                      // cupfaucet | kitchen
  std::string figure = "fig4";                      // which preset the arms came from
  // uniform: all tasks; skewed: the first two only; only-<j>: task j only (paper appendix E)
  std::vector<std::string> pretrain{"uniform", "skewed"};
  int pretrain_demos = 10;
  int warm_start_demos = -1;   // uniform demos before selection starts (-1: one per task)
  int budget = 12;             // demonstrations collected by selection (warm start excluded)
  int batch_size = 2;
  std::vector<NnArm> arms;
  int seeds = 4;
  int first_seed = 0;
  std::uint64_t base_seed = 0;
  int eval_episodes = 4;       // per task per evaluation
  double demo_noise = -1;      // expert action noise std (-1: the environment's default)
  MlpPolicyConfig policy{0, 0, 2, 128, true, 0.0};
  FinetuneConfig finetune;     // pre-training epochs, steps per round, learning rate, batch size
  // true: a round that adds b demonstrations trains finetune.steps_per_round x b / batch_size
  // Adam steps, so every arm takes the same number of gradient steps per demonstration whatever
  // its batch size (Fig. 5 compares batch sizes at a fixed budget; with a fixed number per round,
  // batch 1 would train twice as long as batch 2).
  bool steps_per_demonstration = false;
  double sigma_pi = 0.5;       // Gaussian likelihood std around the deterministic policy
  LogProbClip clip{-50.0, 50.0};  // only for numerical stability (paper App. I.3.3)
  double min_weight = 1e-6;
  int selection_stride = 4;    // every stride-th pool step enters the criterion
  double dropout = 0.1;        // the dropout arm's test-time dropout rate
  int dropout_passes = 16;
  std::string interval = "t";  // confidence intervals over seeds: "t" or "bootstrap"
  int bootstrap_resamples = 2000;
  double confidence = 0.90;
  int threads = 0;             // (pre-training, seed) jobs at a time; 0: one per core
  std::string backend = "auto";
};

// figure: fig4 | fig5 | fig6 | appg | appe; env: cupfaucet | kitchen; size: default (minutes on 2
// cores) | paper (paper-sized policy and budgets; hours on 2 cores). amf::InvalidArgument for
// unknown names.
NnStudyConfig nn_study_preset(const std::string& figure, const std::string& env, const std::string& size = "default");

// Throws amf::InvalidArgument naming the field.
void validate(const NnStudyConfig& config);

// The task index j of a one-task pre-training distribution "only-<j>", or -1 for any other name.
int one_task_pretrain_index(const std::string& pretrain);

// Every (pre-training, seed) job checkpoints each finished arm under checkpoint_dir (atomically)
// and skips it when started again with the same configuration: a killed study loses only the
// arms in flight. A directory of another configuration is refused. Results are deterministic for
// the seeds and independent of `threads` (on one machine and build): a job's random draws, its
// dropout masks included, come from generators of its own; only the initial weights come from
// LibTorch's global generator, seeded and drawn under one lock.
NnStudyResults run_nn_study(const NnStudyConfig& config, const StudyProgressCallback& progress = {},
                            const std::string& checkpoint_dir = "");

// curves.csv, picks.csv, summary_curves.csv, auc.csv, summary.json, summary.txt in out_dir;
// returns the printed table (final success and area under the success curve per arm, and the
// paired AMF - uniform differences with their CIs).
std::string write_nn_study_outputs(const NnStudyConfig& config, const NnStudyResults& results,
                                   const std::string& out_dir);

}  // namespace amf
