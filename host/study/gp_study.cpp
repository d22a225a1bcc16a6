// The study loop: independent (k, seed) runs spread over worker threads. Every run draws its
// randomness from seeds derived from (base_seed, k, seed, method, round), so results do not
// depend on the number of threads or the order in which runs finish.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/dataset.hpp"
#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "amf/harness/policy.hpp"
#include "amf/harness/study.hpp"
#include "study/gp_evaluation.hpp"
#include "study/run_checkpoint.hpp"
#include "study/seed_mix.hpp"
#include "study/study_json.hpp"

namespace amf {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

using detail::mix_seed;
std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return mix_seed(a, b); }

std::uint64_t method_id(const std::string& m) { return m == "amf" ? 1 : m == "uniform" ? 2 : 3; }

int nearest_eval_task(double angle, int count) {
  return static_cast<int>(std::lround(angle / (kTwoPi / count))) % count;
}

// Angles of the next batch for one method.
std::vector<double> choose_tasks(const GpStudyConfig& cfg, const std::string& method,
                                 const Dataset& data, Backend& backend, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> angle(0.0, kTwoPi);
  std::vector<double> out;
  if (method == "uniform") {
    for (int b = 0; b < cfg.batch_size; ++b) out.push_back(angle(rng));
  } else if (method == "rebalance") {
    // Privileged baseline: demonstrate the evaluation task least represented so far.
    std::vector<int> count(cfg.num_eval_tasks, 0);
    for (const auto& t : data.trajectories()) ++count[nearest_eval_task(angle_of_goal(t.task), cfg.num_eval_tasks)];
    for (int b = 0; b < cfg.batch_size; ++b) {
      const int least = *std::min_element(count.begin(), count.end());
      std::vector<int> ties;
      for (int k = 0; k < cfg.num_eval_tasks; ++k)
        if (count[k] == least) ties.push_back(k);
      const int k = ties[std::uniform_int_distribution<std::size_t>(0, ties.size() - 1)(rng)];
      ++count[k];
      out.push_back(kTwoPi * k / cfg.num_eval_tasks);
    }
  } else {  // amf: random shooting over the circle, greedy batch of the criterion
    std::vector<double> cand_angles(cfg.shooting_budget);
    for (double& a : cand_angles) a = angle(rng);
    const detail::GoalSelectionProblem goals(cfg, data, cand_angles);
    const CriterionResult r = select_batch(goals.problem, backend);
    for (auto c : r.batch) out.push_back(cand_angles[c]);
  }
  return out;
}

struct RunResult {
  std::vector<RoundRecord> rounds;
  std::vector<PickRecord> picks;
  bool restored = false;  // every method's rounds came from the checkpoint; nothing was computed
};

// One (k, seed): the same pre-training for every method, then each method's rounds. With a
// checkpoint directory, each method resumes after its last completed round and the progress
// is saved after every round; the random generator is saved with it, so a resumed run equals
// an uninterrupted one.
RunResult run_one(const GpStudyConfig& cfg, int k, int seed, const std::string& checkpoint_dir) {
  Integrator2D env(cfg.env);
  const Integrator2DExpert expert(cfg.env);
  const std::uint64_t run_seed = detail::gp_run_seed(cfg, k, seed);
  const std::string fingerprint = detail::gp_run_fingerprint(cfg);
  const std::string path = checkpoint_dir.empty() ? "" : detail::run_checkpoint_path(checkpoint_dir, k, seed);
  detail::RunProgress progress = path.empty() ? detail::RunProgress{} : detail::load_run_progress(path, fingerprint);

  const Dataset pretrain = detail::pretraining_demonstrations(cfg, k, run_seed);

  // Runs already fill the cores; the backend inside each stays single-threaded.
  BackendOptions options;
  options.cpu_threads = 1;
  auto backend = make_backend(parse_backend_kind(cfg.backend), options);
  RunResult out;
  out.restored = std::all_of(cfg.methods.begin(), cfg.methods.end(), [&](const std::string& m) {
    const auto it = progress.find(m);
    return it != progress.end() && it->second.next_round > cfg.rounds;
  });
  for (const auto& method : cfg.methods) {
    const std::uint64_t mseed = mix(run_seed, method_id(method));
    detail::MethodProgress& state = progress[method];
    std::mt19937_64 rng(mseed);
    if (!state.rng.empty()) std::istringstream(state.rng) >> rng;
    Dataset data = pretrain;
    for (const auto& d : state.demos) data.add(d);

    for (int round = state.next_round; round <= cfg.rounds; ++round) {
      const detail::Evaluation ev = detail::evaluate_gp_policy(cfg, data, mix(run_seed, 7));  // same episodes for all methods
      state.records.push_back({k, seed, round, static_cast<int>(data.size()), method, ev.multitask_return, ev.entropy});
      if (round < cfg.rounds) {
        const auto angles = choose_tasks(cfg, method, data, *backend, rng);
        for (std::size_t b = 0; b < angles.size(); ++b) {
          state.picks.push_back({k, seed, round, method, angles[b]});
          state.demos.push_back(demonstrate(env, expert, goal_of_angle(angles[b], cfg.env.radius),
                                            cfg.expert_noise_std, mix(mseed, 1000 * (round + 1) + b)));
          data.add(state.demos.back());
        }
      }
      state.next_round = round + 1;
      std::ostringstream rng_text;
      rng_text << rng;
      state.rng = rng_text.str();
      if (!path.empty()) detail::save_run_progress(path, fingerprint, progress);
    }
    out.rounds.insert(out.rounds.end(), state.records.begin(), state.records.end());
    out.picks.insert(out.picks.end(), state.picks.begin(), state.picks.end());
  }
  return out;
}

}  // namespace

GpStudyResults run_gp_study(const GpStudyConfig& cfg, const StudyProgressCallback& progress,
                             const std::string& checkpoint_dir) {
  validate(cfg);
  if (!checkpoint_dir.empty()) make_directories(checkpoint_dir);
  struct Job {
    int k, seed;
  };
  std::vector<Job> jobs;
  for (int k : cfg.k_values)
    for (int s = cfg.first_seed; s < cfg.first_seed + cfg.seeds; ++s) jobs.push_back({k, s});
  // Skewed runs cost the most (their importance weights are flat, so no trajectory is pruned):
  // start them first so the workers finish together and the progress estimate is honest.
  std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.k < b.k; });

  std::vector<RunResult> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> done{0};
  std::atomic<int> restored{0};
  std::mutex progress_mutex, error_mutex;
  std::exception_ptr error;
  const auto start = std::chrono::steady_clock::now();
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers = std::min<unsigned>(cfg.threads > 0 ? cfg.threads : hw, jobs.size());

  auto work = [&] {
    for (std::size_t j; (j = next++) < jobs.size();) {
      try {
        results[j] = run_one(cfg, jobs[j].k, jobs[j].seed, checkpoint_dir);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = jobs.size();
        return;
      }
      const int d = ++done;
      const int from_checkpoint = results[j].restored ? ++restored : restored.load();
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress({d, static_cast<int>(jobs.size()), from_checkpoint,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  GpStudyResults all;
  for (auto& r : results) {
    all.rounds.insert(all.rounds.end(), r.rounds.begin(), r.rounds.end());
    all.picks.insert(all.picks.end(), r.picks.begin(), r.picks.end());
  }
  return all;
}

}  // namespace amf
