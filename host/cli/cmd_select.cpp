// amf select: the next batch of tasks, for a GP policy conditioned on a demonstrations file
// (AMF-GP) or for an MLP policy checkpoint (AMF-NN, when built with LibTorch).
#include <cstdio>
#include <iostream>
#include <memory>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/selection_control.hpp"
#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "amf/harness/tables.hpp"
#include "cli/commands.hpp"
#ifdef AMF_CLI_TORCH
#include "amf/torch/nn_selection.hpp"
#endif
#include "amf/launch.hpp"
#ifdef AMF_CLI_MPI
#include "amf/mpi/distributed.hpp"
#endif

namespace amf {
namespace cli {

namespace {

struct Options {
  std::string demos, candidates, targets, out = "selection", backend = "auto", policy = "gp", checkpoint,
      embedding = "full";
  double sigma_pi = 0.1;
  std::vector<std::string> obs_keys;
  int batch = 1;
  KernelParams kernel;
  double noise_variance = 1e-2, clip_lo = -10, clip_hi = 10, min_weight = 1e-6;
  double time_limit = 3600;
};

// Progress on stderr once a selection has run for a second (quick ones stay quiet), from the
// writing rank only; the time limit on every rank (they agree on the estimate).
SelectionControl selection_control(const Options& o, bool writer) {
  SelectionControl control;
  control.time_limit_s = o.time_limit;
  if (writer)
    control.progress = [shown = std::make_shared<bool>(false)](const SelectionProgress& p) {
      if (!*shown && p.elapsed_s < 1.0) return;
      *shown = true;
      std::fprintf(stderr, "\r[amf select] pick %d/%d, %.0f s elapsed", p.passes_done, p.passes, p.elapsed_s);
      if (p.remaining_s > 0) std::fprintf(stderr, ", at least %.0f s left", p.remaining_s);
      std::fprintf(stderr, "   %s", p.passes_done == p.passes ? "\n" : "");
    };
  return control;
}

// Every rank of a parallel launch, or the one process.
struct Ranks {
  bool distributed;
  int rank() const {
    int r = 0;
#ifdef AMF_CLI_MPI
    if (distributed) MPI_Comm_rank(MPI_COMM_WORLD, &r);
#endif
    return r;
  }
  int size() const {
    int n = 1;
#ifdef AMF_CLI_MPI
    if (distributed) MPI_Comm_size(MPI_COMM_WORLD, &n);
#endif
    return n;
  }
  template <typename Problem>
  CriterionResult select(const Problem& p, BackendKind kind, const SelectionControl& control) const {
#ifdef AMF_CLI_MPI
    if (distributed) {
      const auto backend = make_rank_backend(kind, BackendOptions{}, MPI_COMM_WORLD);
      return select_batch_distributed(p, *backend, MPI_COMM_WORLD, control);
    }
#endif
    const auto backend = make_backend(kind);
    return select_batch(p, *backend, control);
  }
};

void report(const CriterionResult& r, std::int64_t candidates, const Ranks& ranks, const std::string& out) {
  std::cout << "picked";
  for (auto c : r.batch) std::cout << ' ' << c;
  std::cout << " of " << candidates << " candidates";
  if (ranks.distributed) std::cout << " on " << ranks.size() << " ranks";
  std::cout << " -> " << out << "/{selection.json,scores.csv}\n";
}

int run_select(const Options& o, const Ranks& ranks) {
  const Dataset data = read_demonstrations(o.demos, o.obs_keys);
  const NumericTable cand = read_numeric_csv(o.candidates);
  const TargetTasks targ = target_tasks(read_numeric_csv(o.targets), o.targets);
  if (static_cast<int>(cand.columns.size()) != data.task_dim())
    throw InvalidArgument(o.candidates + ": " + std::to_string(cand.columns.size()) + " columns, but the tasks in " +
                          o.demos + " have " + std::to_string(data.task_dim()) + " dimensions");
  if (targ.dim != data.task_dim())
    throw InvalidArgument(o.targets + ": " + std::to_string(targ.dim) + " task columns, but the tasks in " + o.demos +
                          " have " + std::to_string(data.task_dim()) + " dimensions");

  const BackendKind kind = parse_backend_kind(o.backend);
  const MatrixView<double> cand_view(cand.values.data(), cand.rows, data.task_dim());
  const bool writer = ranks.rank() == 0;
  if (writer) prepare_output_directory(o.out, "--out");  // inputs read and checked; no selection yet
  if (!(o.time_limit >= 0)) throw InvalidArgument("--time-limit must be >= 0 seconds (0: none)");
  const SelectionControl control = selection_control(o, writer);
  if (o.policy != "gp") {
#ifdef AMF_CLI_TORCH
    if (o.checkpoint.empty()) throw InvalidArgument("--policy " + o.policy + " needs --checkpoint");
    std::unique_ptr<NnSelectionInputs> inputs;
    if (o.policy == "mlp") {
      MlpPolicy policy = load_mlp_policy(o.checkpoint);
      inputs = std::make_unique<NnSelectionInputs>(policy, data, cand_view, targ.view(),
                                                   VectorView<double>(targ.probs), o.sigma_pi,
                                                   parse_gradient_embedding(o.embedding));
    } else {
      TorchScriptPolicy policy(o.checkpoint);
      inputs = std::make_unique<NnSelectionInputs>(policy, data, cand_view, targ.view(),
                                                   VectorView<double>(targ.probs), o.sigma_pi);
    }
    FeatureCriterionProblem& fp = inputs->problem();
    fp.noise_variance = o.noise_variance;
    fp.clip = {o.clip_lo, o.clip_hi};
    fp.batch_size = o.batch;
    fp.min_weight = o.min_weight;
    const CriterionResult r = ranks.select(fp, kind, control);
    if (writer) {
      write_selection(o.out, cand_view, fp, r);
      report(r, cand.rows, ranks, o.out);
    }
    return kExitOk;
#else
    throw InvalidArgument("--policy " + o.policy + " needs amf built with LibTorch (AMF_WITH_TORCH=ON)");
#endif
  }
  const PoolArrays pool(data);
  CriterionProblem p;
  pool.attach(p);
  p.candidates = cand_view;
  p.targets = targ.view();
  p.target_probs = VectorView<double>(targ.probs);
  p.kernel = o.kernel;
  p.noise_variance = o.noise_variance;
  p.clip = {o.clip_lo, o.clip_hi};
  p.batch_size = o.batch;
  p.min_weight = o.min_weight;
  const CriterionResult r = ranks.select(p, kind, control);
  if (writer) {
    write_selection(o.out, p, r);
    report(r, cand.rows, ranks, o.out);
  }
  return kExitOk;
}

}  // namespace

Command add_select(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* s = app.add_subcommand("select", "Score candidate tasks and pick the next batch to demonstrate");
  s->add_option("--demos", o->demos, "Demonstrations, HDF5 in the robomimic layout (see README)")->required();
  s->add_option("--obs-keys", o->obs_keys, "Observation keys forming the state, in order (default: all, sorted)");
  s->add_option("--candidates", o->candidates, "CSV of candidate tasks: a header, then one task per row")->required();
  s->add_option("--targets", o->targets,
                "CSV of target tasks; a column named `weight` gives their probabilities (default uniform)")
      ->required();
  s->add_option("--batch-size", o->batch,
                "Tasks to pick (greedy, conditioning on each pick); may exceed the candidates: a task may be picked "
                "again");
  s->add_option("--time-limit", o->time_limit,
                "Stop at once (exit 2) when the selection's estimate exceeds this many seconds (0: no limit)")
      ->capture_default_str();
  s->add_option("--policy", o->policy,
                "gp (multi-output GP on the demonstrations), mlp (an amf MLP checkpoint) or torchscript (a "
                "TorchScript policy with trunk(x) and a linear head; see README)")
      ->check(CLI::IsMember({"gp", "mlp", "torchscript"}));
  s->add_option("--checkpoint", o->checkpoint, "Policy file (with --policy mlp or torchscript)");
  s->add_option("--sigma-pi", o->sigma_pi, "MLP policy: fixed std of its Gaussian likelihood");
  s->add_option("--embedding", o->embedding, "MLP policy: full or last-layer loss-gradient embedding")
      ->check(CLI::IsMember({"full", "last-layer"}));
  s->add_option("--state-lengthscale", o->kernel.state_lengthscale, "GP RBF length-scale on states");
  s->add_option("--task-lengthscale", o->kernel.task_lengthscale, "GP RBF length-scale on tasks");
  s->add_option("--signal-variance", o->kernel.signal_variance, "GP signal variance");
  s->add_option("--noise-variance", o->noise_variance, "sigma^2 of the policy likelihood");
  s->add_option("--clip-lo", o->clip_lo, "Per-step log-probability clip, lower bound");
  s->add_option("--clip-hi", o->clip_hi, "Per-step log-probability clip, upper bound");
  s->add_option("--min-weight", o->min_weight, "Drop importance weights below this (0 = exact)");
  s->add_option("--backend", o->backend, "auto, cpu or cuda");
  s->add_option("--out", o->out, "Output directory: selection.json and scores.csv");
  return [o] {
    const LaunchInfo launch = detect_launch();
#ifdef AMF_CLI_MPI
    if (launch.parallel) {
      // Under a parallel launcher the candidates are sharded over the ranks (identical results);
      // rank 0 writes the files. A failure on any rank ends every rank with its message.
      MPI_Init(nullptr, nullptr);
      int rc = kExitRuntime;
      run_or_abort(MPI_COMM_WORLD, [&] { rc = run_select(*o, Ranks{true}); }, kExitRuntime);
      MPI_Finalize();
      return rc;
    }
#else
    if (launch.parallel && launch.size != 1)
      throw InvalidArgument("started as rank " + std::to_string(launch.rank) + " of a parallel launch (" +
                            launch.launcher + "), but this amf was built without MPI: every rank would repeat the "
                            "whole selection (rebuild with libopenmpi-dev, or run one process)");
#endif
    return run_select(*o, Ranks{false});
  };
}

}  // namespace cli
}  // namespace amf
