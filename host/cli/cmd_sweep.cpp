// amf sweep CONFIG: many independent studies (seeds x skews x methods x hyperparameters).
// Here: threads over runs. Under `mpirun -np K`: rank r takes runs r, r+K, ..., rank 0 merges
// once all ranks are through. On a cluster: tools/sweep_slurm.sh writes a job-array script whose
// task i runs `amf sweep CONFIG --task i --tasks N`, and a merge job runs `amf sweep --merge-only`.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "amf/harness/sweep.hpp"
#include "amf/launch.hpp"
#include "cli/commands.hpp"
#include "io/run_lock.hpp"

#ifdef AMF_CLI_MPI
#include <mpi.h>
#endif

namespace amf {
namespace cli {
namespace {

const char* outcome_name(RunOutcome o) {
  switch (o) {
    case RunOutcome::Completed: return "completed";
    case RunOutcome::AlreadyDone: return "already done";
    case RunOutcome::FinishedElsewhere: return "completed by the process that held it";
    default: return "busy (another process holds it)";
  }
}

struct Options {
  std::string config, out;
  int threads = 0, task = -1, tasks = -1;
  bool list = false, merge_only = false, no_merge = false, partial = false, no_plots = false, no_wait = false;
};

// Merges and plots every grid point; the exit code of the whole sweep. Two processes that finish
// one sweep together both merge it: the lock on OUT/merged makes them take turns, so no file
// (plots included) is ever written by two at once; the second rewrites the same bytes.
int merge_and_plot(const SweepConfig& sweep, const std::string& out, const Options& o) {
  make_directories(out + "/merged");
  const auto lock = detail::DirectoryLock::acquire(out + "/merged");
  std::cout << merge_sweep(sweep, out, o.partial);
  std::cout << "merged: " << out << "/merged/<grid point>/{curves.csv,summary_curves.csv,picks.csv,summary.json}\n";
  std::cout.flush();
  if (o.no_plots) return kExitOk;
  int rc = kExitOk;
  std::vector<std::string> variants;
  for (const auto& r : expand_sweep(sweep))
    if (variants.empty() || variants.back() != r.variant) variants.push_back(r.variant);
  for (const auto& v : variants)
    if (plot_study(out + "/merged/" + v) != kExitOk) rc = kExitPlot;
  return rc;
}

int run_share(const SweepConfig& sweep, const std::string& out, int worker, int workers, int threads,
              const std::string& who, bool wait) {
  std::fprintf(stderr, "[amf sweep%s] %zu runs in the grid; this process takes runs i with i %% %d == %d -> %s\n",
               who.c_str(), expand_sweep(sweep).size(), workers, worker, out.c_str());
  const auto reports = run_sweep(sweep, out, worker, workers, threads,
                                 [&who](const SweepRunReport& r, int finished, int total) {
                                   std::fprintf(stderr, "[amf sweep%s] %d/%d %s: %s, %d rounds computed\n",
                                                who.c_str(), finished, total, r.id.c_str(),
                                                outcome_name(r.outcome), r.rounds_computed);
                                 },
                                 wait);
  int busy = 0;
  for (const auto& r : reports) busy += r.outcome == RunOutcome::Busy;
  if (busy > 0) {
    std::fprintf(stderr, "[amf sweep%s] %d runs are held by other processes (--no-wait); rerun when they are done\n",
                 who.c_str(), busy);
    return kExitRuntime;
  }
  return kExitOk;
}

}  // namespace

Command add_sweep(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("sweep",
                                 "Run a grid of studies (seeds x k x methods x hyperparameters) from a TOML file "
                                 "with a [sweep] table; each run checkpointed in OUT/runs/<id>; rerun to resume; "
                                 "under mpirun the runs are spread over the ranks");
  cmd->add_option("config", o->config, "Sweep TOML file (a study file plus [sweep]; see configs/sweep.toml)")->required();
  cmd->add_option("--out", o->out, "Sweep directory (overrides the file's `out`)");
  cmd->add_option("--threads", o->threads, "Runs at a time in this process (0 = one per core; 1 under mpirun)");
  cmd->add_option("--task", o->task, "Run only share TASK of TASKS (a Slurm array task id); no merge");
  cmd->add_option("--tasks", o->tasks, "Number of shares the runs are split into (with --task)");
  cmd->add_flag("--list", o->list, "Print the runs of the grid (id and directory) and exit");
  cmd->add_flag("--merge-only", o->merge_only, "Only merge the completed runs into OUT/merged and plot");
  cmd->add_flag("--no-merge", o->no_merge, "Run, but do not merge");
  cmd->add_flag("--partial", o->partial, "Merge even when some runs are missing (listed in the output)");
  cmd->add_flag("--no-plots", o->no_plots, "Skip the PNG/SVG plots");
  cmd->add_flag("--no-wait", o->no_wait,
                "Leave runs another process holds (exit 1 if any) instead of waiting for them after the free "
                "ones, then merging");
  return [o] {
    const SweepConfig sweep = load_sweep_config(o->config);
    const std::string out = o->out.empty() ? sweep.base.out_dir : o->out;
    if (o->list) {
      const auto runs = expand_sweep(sweep);
      std::cout << runs.size() << " runs\n";
      for (const auto& r : runs) std::cout << r.id << '\t' << out << "/runs/" << r.id << '\n';
      return kExitOk;
    }
    prepare_output_directory(out, o->out.empty() ? "`out` in " + o->config : std::string("--out"));
    if (o->merge_only) return merge_and_plot(sweep, out, *o);
    if ((o->task >= 0) != (o->tasks >= 0))
      throw InvalidArgument("--task and --tasks go together (share TASK of TASKS)");
    if (o->task >= 0) {
      if (o->tasks < 1 || o->task >= o->tasks)
        throw InvalidArgument("--task " + std::to_string(o->task) + " --tasks " + std::to_string(o->tasks) +
                              " (need 0 <= task < tasks)");
      return run_share(sweep, out, o->task, o->tasks, o->threads, " task " + std::to_string(o->task), !o->no_wait);
    }
#ifdef AMF_CLI_MPI
    if (detect_launch().parallel) {
      MPI_Init(nullptr, nullptr);
      int rank = 0, size = 1;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      MPI_Comm_size(MPI_COMM_WORLD, &size);
      int rc = kExitOk;
      try {
        rc = run_share(sweep, out, rank, size, o->threads > 0 ? o->threads : 1, " rank " + std::to_string(rank), !o->no_wait);
      } catch (const std::exception& e) {
        // One failed rank must not leave the others waiting in the barrier forever.
        std::cerr << "amf: rank " << rank << ": " << e.what() << "\n";
        MPI_Abort(MPI_COMM_WORLD, kExitRuntime);
      }
      int worst = 0;
      MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
      MPI_Finalize();
      if (rank != 0) return worst;
      if (worst != kExitOk || o->no_merge) return worst;
      return merge_and_plot(sweep, out, *o);
    }
#endif
    const int rc = run_share(sweep, out, 0, 1, o->threads, "", !o->no_wait);
    if (rc != kExitOk || o->no_merge) return rc;
    return merge_and_plot(sweep, out, *o);
  };
}

}  // namespace cli
}  // namespace amf
