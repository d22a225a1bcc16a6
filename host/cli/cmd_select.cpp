// amf select: the next batch of tasks, for a GP policy conditioned on a demonstrations file
// (AMF-GP) or for an MLP policy checkpoint (AMF-NN, when built with LibTorch).
#include <iostream>
#include <memory>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/demonstrations.hpp"
#include "amf/error.hpp"
#include "amf/tables.hpp"
#include "cli/commands.hpp"
#ifdef AMF_CLI_TORCH
#include "amf/nn_selection.hpp"
#endif
#ifdef AMF_CLI_MPI
#include <cstdlib>

#include "amf/distributed.hpp"
#endif

namespace amf {
namespace cli {

Command add_select(CLI::App& app) {
  struct Options {
    std::string demos, candidates, targets, out = "selection", backend = "auto", policy = "gp", checkpoint,
        embedding = "full";
    double sigma_pi = 0.1;
    std::vector<std::string> obs_keys;
    int batch = 1;
    KernelParams kernel;
    double noise_variance = 1e-2, clip_lo = -10, clip_hi = 10, min_weight = 1e-6;
  };
  auto o = std::make_shared<Options>();
  auto* s = app.add_subcommand("select", "Score candidate tasks and pick the next batch to demonstrate");
  s->add_option("--demos", o->demos, "Demonstrations, HDF5 in the robomimic layout (see README)")->required();
  s->add_option("--obs-keys", o->obs_keys, "Observation keys forming the state, in order (default: all, sorted)");
  s->add_option("--candidates", o->candidates, "CSV of candidate tasks: a header, then one task per row")->required();
  s->add_option("--targets", o->targets,
                "CSV of target tasks; a column named `weight` gives their probabilities (default uniform)")
      ->required();
  s->add_option("--batch-size", o->batch, "Tasks to pick (greedy, conditioning on each pick)");
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
    const Dataset data = read_demonstrations(o->demos, o->obs_keys);
    const NumericTable cand = read_numeric_csv(o->candidates);
    NumericTable targ = read_numeric_csv(o->targets);

    // Split the optional weight column off the targets.
    std::vector<double> targets, probs;
    std::int64_t wcol = -1;
    for (std::size_t c = 0; c < targ.columns.size(); ++c)
      if (targ.columns[c] == "weight") wcol = static_cast<std::int64_t>(c);
    const std::int64_t tcols = static_cast<std::int64_t>(targ.columns.size()) - (wcol >= 0 ? 1 : 0);
    for (std::int64_t r = 0; r < targ.rows; ++r)
      for (std::int64_t c = 0; c < static_cast<std::int64_t>(targ.columns.size()); ++c) {
        const double v = targ.values[r * targ.columns.size() + c];
        (c == wcol ? probs : targets).push_back(v);
      }
    if (wcol < 0) probs.assign(targ.rows, 1.0 / targ.rows);
    double total = 0;
    for (double p : probs) total += p;
    if (!(total > 0)) throw InvalidArgument(o->targets + ": column 'weight' sums to " + std::to_string(total));
    for (double& p : probs) p /= total;  // weights are relative; the criterion wants probabilities

    if (static_cast<int>(cand.columns.size()) != data.task_dim())
      throw InvalidArgument(o->candidates + ": " + std::to_string(cand.columns.size()) + " columns, but the tasks in " +
                            o->demos + " have " + std::to_string(data.task_dim()) + " dimensions");
    if (tcols != data.task_dim())
      throw InvalidArgument(o->targets + ": " + std::to_string(tcols) + " task columns, but the tasks in " + o->demos +
                            " have " + std::to_string(data.task_dim()) + " dimensions");

    auto backend = make_backend(parse_backend_kind(o->backend));
    const MatrixView<double> cand_view(cand.values.data(), cand.rows, data.task_dim());
    if (o->policy != "gp") {
#ifdef AMF_CLI_TORCH
      if (o->checkpoint.empty()) throw InvalidArgument("--policy " + o->policy + " needs --checkpoint");
      const MatrixView<double> targ_view(targets.data(), targ.rows, data.task_dim());
      std::unique_ptr<NnSelectionInputs> inputs;
      if (o->policy == "mlp") {
        MlpPolicy policy = load_mlp_policy(o->checkpoint);
        inputs = std::make_unique<NnSelectionInputs>(policy, data, cand_view, targ_view, VectorView<double>(probs),
                                                     o->sigma_pi, parse_gradient_embedding(o->embedding));
      } else {
        TorchScriptPolicy policy(o->checkpoint);
        inputs = std::make_unique<NnSelectionInputs>(policy, data, cand_view, targ_view, VectorView<double>(probs),
                                                     o->sigma_pi);
      }
      FeatureCriterionProblem& fp = inputs->problem();
      fp.noise_variance = o->noise_variance;
      fp.clip = {o->clip_lo, o->clip_hi};
      fp.batch_size = o->batch;
      fp.min_weight = o->min_weight;
      const CriterionResult r = select_batch(fp, *backend);
      write_selection(o->out, cand_view, fp, r);
      std::cout << "picked";
      for (auto c : r.batch) std::cout << ' ' << c;
      std::cout << " of " << cand.rows << " candidates -> " << o->out << "/{selection.json,scores.csv}\n";
      return kExitOk;
#else
      throw InvalidArgument("--policy " + o->policy + " needs amf built with LibTorch (AMF_WITH_TORCH=ON)");
#endif
    }
    const PoolArrays pool(data);
    CriterionProblem p;
    pool.attach(p);
    p.candidates = cand_view;
    p.targets = MatrixView<double>(targets.data(), targ.rows, data.task_dim());
    p.target_probs = VectorView<double>(probs);
    p.kernel = o->kernel;
    p.noise_variance = o->noise_variance;
    p.clip = {o->clip_lo, o->clip_hi};
    p.batch_size = o->batch;
    p.min_weight = o->min_weight;
#ifdef AMF_CLI_MPI
    // Under mpirun with several ranks the candidates are sharded over them (identical results);
    // rank 0 writes the files.
    const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (world && std::atoi(world) > 1) {
      MPI_Init(nullptr, nullptr);
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      CriterionResult r;
      try {
        r = select_batch_distributed(p, MPI_COMM_WORLD);
      } catch (...) {
        MPI_Finalize();
        throw;
      }
      MPI_Finalize();
      if (rank != 0) return kExitOk;
      write_selection(o->out, p, r);
      std::cout << "picked";
      for (auto c : r.batch) std::cout << ' ' << c;
      std::cout << " of " << cand.rows << " candidates on " << world << " ranks -> " << o->out
                << "/{selection.json,scores.csv}\n";
      return kExitOk;
    }
#endif
    const CriterionResult r = select_batch(p, *backend);
    write_selection(o->out, p, r);
    std::cout << "picked";
    for (auto c : r.batch) std::cout << ' ' << c;
    std::cout << " of " << cand.rows << " candidates -> " << o->out << "/{selection.json,scores.csv}\n";
    return kExitOk;
  };
}

}  // namespace cli
}  // namespace amf
