// The AMF-NN study loop. A job is one (pre-training distribution, seed): its demonstrations and
// behaviour-cloned policy are shared by every arm, so arms are compared on the same pre-trained
// policy, the same warm-start demonstrations and the same evaluation episodes (paired).
//
// Per arm (paper section 4.2 and App. I.3.4): the warm-start demonstrations (one per task by
// default, collected uniformly) form the first pool; they are held back from training until a
// task of their partition is selected, and AMF selects with a separate copy of the policy that
// is never trained on them. Each round picks a batch of tasks, demonstrates them with the
// scripted expert, fine-tunes (steps_per_round Adam steps on all training demonstrations so
// far) and evaluates the success rate on every task.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <random>
#include <set>
#include <cstdio>
#include <thread>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/torch/dropout_uncertainty.hpp"
#include "amf/harness/environments.hpp"
#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "amf/torch/nn_study.hpp"
#include "amf/torch/warm_start.hpp"
#include "study/nn_evaluate.hpp"
#include "study/nn_study_json.hpp"
#include "study/seed_mix.hpp"

// OpenBLAS (behind Debian's LibTorch) runs its own thread pool, which torch::set_num_threads
// does not control; with study jobs on every core its spinning threads oversubscribe them (40 %
// of the time went to sched_yield). Weak: absent when LibTorch uses another BLAS.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" int openblas_get_num_threads() __attribute__((weak));

namespace amf {
namespace {

using detail::mix_seed;

// The policy's view of the study's demonstrations: every step of the given trajectories.
BcData bc_data(const std::vector<const Trajectory*>& demos, const Environment& env) {
  Dataset d(env.state_dim(), env.action_dim(), env.task_dim());
  for (const auto* t : demos) d.add(*t);
  return make_bc_data(d);
}

// The pool the criterion sees: every stride-th step of each demonstration (the importance
// weights and Grams grow with the number of pool steps; consecutive steps are near duplicates).
Dataset strided_pool(const std::vector<const Trajectory*>& demos, const Environment& env, int stride) {
  Dataset d(env.state_dim(), env.action_dim(), env.task_dim());
  const int ds = env.state_dim(), da = env.action_dim();
  for (const auto* t : demos) {
    Trajectory s;
    s.task = t->task;
    const std::size_t steps = t->states.size() / ds;
    for (std::size_t i = 0; i < steps; i += static_cast<std::size_t>(stride)) {
      s.states.insert(s.states.end(), t->states.begin() + i * ds, t->states.begin() + (i + 1) * ds);
      s.actions.insert(s.actions.end(), t->actions.begin() + i * da, t->actions.begin() + (i + 1) * da);
    }
    d.add(std::move(s));
  }
  return d;
}

torch::Tensor task_matrix(const Environment& env) {
  const int K = env.num_tasks(), dc = env.task_dim();
  auto m = torch::empty({K, dc}, torch::kFloat64);
  for (int k = 0; k < K; ++k) {
    const auto v = env.task_vector(k);
    for (int j = 0; j < dc; ++j) m[k][j] = v[j];
  }
  return m;
}

struct Job {
  std::string pretrain;
  int seed;
};

// What every arm of a job shares.
struct JobContext {
  const NnStudyConfig& cfg;
  std::unique_ptr<Environment> env;
  std::unique_ptr<Expert> expert;
  std::uint64_t job_seed;
  double demo_noise;
  BcData pretrain_data;
  MlpPolicy pretrained{nullptr};
  std::vector<Trajectory> warm;  // warm-start demonstrations
  std::vector<int> warm_tasks;
  torch::Tensor tasks, centres;  // (K, dc) task vectors; partition centres (one per task)
  Evaluator evaluator;
};

// The tasks a pre-training distribution demonstrates: all ("uniform"), the first two ("skewed",
// paper Fig. 4) or one ("only-<j>", the one-task skews of the paper's appendix E).
std::vector<int> pretrain_tasks(const std::string& kind, int num_tasks, const std::string& env) {
  if (const int only = one_task_pretrain_index(kind); only >= 0) {
    if (only >= num_tasks)
      throw InvalidArgument("nn study config: pretrain '" + kind + "' names task " + std::to_string(only) + ", but " +
                            env + " has " + std::to_string(num_tasks) + " tasks (0 to " +
                            std::to_string(num_tasks - 1) + ")");
    return {only};
  }
  std::vector<int> t;
  const int count = kind == "skewed" ? std::min(2, num_tasks) : num_tasks;
  for (int k = 0; k < count; ++k) t.push_back(k);
  return t;
}

MlpPolicy behaviour_cloned(const NnStudyConfig& cfg, const Environment& env, const BcData& data, std::uint64_t seed) {
  MlpPolicyConfig pc = cfg.policy;
  pc.input_dim = env.state_dim() + env.task_dim();
  pc.action_dim = env.action_dim();
  MlpPolicy policy{nullptr};
  {
    // The initial weights come from LibTorch's global generator: seed and draw them in one go.
    static std::mutex init_mutex;
    std::lock_guard<std::mutex> lock(init_mutex);
    torch::manual_seed(seed);
    policy = MlpPolicy(pc);
  }
  FinetuneConfig fc = cfg.finetune;
  fc.seed = seed;
  behaviour_clone(policy, data, fc);
  return policy;
}

JobContext make_context(const NnStudyConfig& cfg, const Job& job) {
  JobContext c{cfg, make_environment(cfg.env), nullptr, 0, 0, {}, nullptr, {}, {}, {}, {},
               Evaluator(cfg.env, cfg.eval_episodes)};
  c.expert = make_expert(*c.env);
  c.job_seed = mix_seed(mix_seed(cfg.base_seed, detail::seed_of_name(job.pretrain)), job.seed);
  c.demo_noise = cfg.demo_noise >= 0 ? cfg.demo_noise : default_demo_noise(cfg.env);
  const int K = c.env->num_tasks();
  c.tasks = task_matrix(*c.env);
  c.centres = c.tasks.clone();  // parameter isolation: one partition per task

  const auto allowed = pretrain_tasks(job.pretrain, K, cfg.env);
  std::vector<Trajectory> pre;
  for (int d = 0; d < cfg.pretrain_demos; ++d)
    pre.push_back(demonstrate(*c.env, *c.expert, c.env->task_vector(allowed[d % allowed.size()]), c.demo_noise,
                              mix_seed(c.job_seed, 100000 + d)));
  std::vector<const Trajectory*> ptr;
  for (const auto& t : pre) ptr.push_back(&t);
  c.pretrain_data = bc_data(ptr, *c.env);
  c.pretrained = behaviour_cloned(cfg, *c.env, c.pretrain_data, mix_seed(c.job_seed, 1));

  const int W = cfg.warm_start_demos >= 0 ? cfg.warm_start_demos : K;
  for (int w = 0; w < W; ++w) {
    c.warm_tasks.push_back(w % K);
    c.warm.push_back(demonstrate(*c.env, *c.expert, c.env->task_vector(w % K), c.demo_noise,
                                 mix_seed(c.job_seed, 200000 + w)));
  }
  return c;
}

// The `batch` tasks of largest score, each at most once while tasks remain (then again from the
// top); ties go to a random one of them, so no task order is favoured.
std::vector<int> top_tasks(const std::vector<double>& score, int batch, std::mt19937_64& rng) {
  std::vector<int> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[a] > score[b]; });
  std::vector<int> out;
  for (int b = 0; b < batch; ++b) out.push_back(order[b % order.size()]);
  return out;
}

// The behaviour-cloning loss (mean squared action error per step) of the selection copy on each
// task's warm-start demonstrations, each task through the copy of its partition.
std::vector<double> warm_start_losses(JobContext& c, FineTuner& selection_policy) {
  const int K = c.env->num_tasks();
  const auto part = selection_policy.partition_of(c.tasks);
  std::vector<double> loss(K, 0.0);
  torch::NoGradGuard no_grad;
  for (int k = 0; k < K; ++k) {
    std::vector<const Trajectory*> demos;
    for (std::size_t w = 0; w < c.warm.size(); ++w)
      if (c.warm_tasks[w] == k) demos.push_back(&c.warm[w]);
    if (demos.empty()) {  // never demonstrated: nothing says the policy can do it
      loss[k] = std::numeric_limits<double>::infinity();
      continue;
    }
    const BcData d = bc_data(demos, *c.env);
    MlpPolicy copy = selection_policy.policy(static_cast<int>(part[k].item<std::int64_t>()));
    copy->to(torch::kCPU, torch::kFloat64);
    loss[k] = (copy->forward(d.inputs) - d.actions).pow(2).sum(1).mean().item<double>();
  }
  return loss;
}

// The arm's batch of task indices for this round. `success` is the deployed policy's success per
// task at the last evaluation (what the privileged rebalancing baseline may see).
std::vector<int> choose_tasks(JobContext& c, const NnArm& arm, int batch, FineTuner& selection_policy,
                              const std::vector<const Trajectory*>& pool_demos, const std::vector<double>& success,
                              Backend& backend, std::mt19937_64& rng) {
  const int K = c.env->num_tasks();
  std::vector<int> out;
  if (arm.selector == "uniform") {
    std::uniform_int_distribution<int> pick(0, K - 1);
    for (int b = 0; b < batch; ++b) out.push_back(pick(rng));
    return out;
  }
  if (arm.selector == "rebalance") {
    // Privileged: the target tasks the deployed policy fails most often right now.
    std::vector<double> failure(K);
    for (int k = 0; k < K; ++k) failure[k] = 1.0 - success[k];
    return top_tasks(failure, batch, rng);
  }
  if (arm.selector == "max-loss") return top_tasks(warm_start_losses(c, selection_policy), batch, rng);
  const Dataset pool = strided_pool(pool_demos, *c.env, c.cfg.selection_stride);
  if (arm.selector == "dropout") {
    // Fill the batch with the task of largest prior predictive variance on the pool's states,
    // each task through the copy of its partition, under test-time dropout (the copy was trained
    // without dropout, like every other arm's policy).
    const auto data = make_bc_data(pool);
    const auto states = data.inputs.narrow(1, 0, c.env->state_dim());
    auto variances = torch::empty({K}, torch::kFloat64);
    const auto part = selection_policy.partition_of(c.tasks);
    for (int k = 0; k < K; ++k) {
      MlpPolicy copy = selection_policy.policy(static_cast<int>(part[k].item<std::int64_t>()));
      copy->to(torch::kCPU, torch::kFloat64);
      variances[k] = dropout_prior_variance(copy, states, c.tasks.narrow(0, k, 1), c.cfg.dropout_passes, c.cfg.dropout,
                                            mix_seed(rng(), 11))[0];
    }
    for (auto k : max_variance_batch(variances, batch)) out.push_back(static_cast<int>(k));
    return out;
  }
  // AMF-NN: every task is a candidate and a target (uniform target distribution).
  std::vector<double> task_values(c.tasks.data_ptr<double>(), c.tasks.data_ptr<double>() + c.tasks.numel());
  std::vector<double> probs(K, 1.0 / K);
  const MatrixView<double> tasks(task_values.data(), K, c.env->task_dim());
  NnSelectionInputs inputs(selection_policy, pool, tasks, tasks, VectorView<double>(probs), c.cfg.sigma_pi,
                           arm.embedding);
  FeatureCriterionProblem& p = inputs.problem();
  p.noise_variance = arm.noise_variance;
  if (arm.relative_noise > 0) {
    // sigma^2 on the kernel's own scale: a fraction of the mean prior variance of the target
    // points, so embeddings of different scales (full gradient, last layer) get comparable noise.
    const auto prior = feature_diagonal(p.target_features);
    double mean = 0;
    for (double v : prior) mean += v / static_cast<double>(prior.size());
    if (!(mean > 0))
      throw InvalidArgument("amf nn-study arm '" + arm.label + "': the mean prior variance of the targets is " +
                            std::to_string(mean) + ", so relative_noise cannot set sigma^2");
    p.noise_variance = arm.relative_noise * mean;
    spdlog::debug("amf nn-study {}: mean prior variance {}, sigma^2 {}", arm.label, mean, p.noise_variance);
  }
  p.clip = c.cfg.clip;
  p.batch_size = batch;
  p.min_weight = c.cfg.min_weight;
  const CriterionResult r = select_batch(p, backend);
  if (spdlog::should_log(spdlog::level::debug)) {
    std::string line;
    for (int k = 0; k < K; ++k)
      line += " " + c.env->task_names()[k] + ": J " + std::to_string(r.J[k]) + " gain " + std::to_string(r.info_gain[k]);
    spdlog::debug("amf nn-study {}:{}", arm.label, line);
  }
  for (auto k : r.batch) out.push_back(static_cast<int>(k));
  return out;
}

struct ArmResult {
  std::vector<NnRoundRecord> rounds;
  std::vector<NnPickRecord> picks;
};

std::uint64_t arm_seed_of(const JobContext& c, const NnArm& arm) {
  return mix_seed(c.job_seed, detail::seed_of_name(arm.label));
}

// The policy an arm deploys and fine-tunes, before its first demonstration.
FineTuner deployed_policy(JobContext& c, const NnArm& arm) {
  ForgettingConfig forgetting;
  forgetting.kind = arm.forgetting;
  forgetting.lambda = arm.forgetting_lambda;
  if (arm.forgetting == Forgetting::ParameterIsolation) forgetting.centres = c.centres;
  FinetuneConfig fc = c.cfg.finetune;
  fc.seed = mix_seed(arm_seed_of(c, arm), 7);
  return FineTuner(c.pretrained, forgetting, fc, c.pretrain_data);
}

// An id of the job's pre-trained parameters (FNV-1a over their bytes). Pre-training is
// deterministic on one machine and build, but float results differ between CPUs (vector widths)
// and builds: a job resumed elsewhere pre-trains a different policy, and its arms would no longer
// be paired. Each saved arm records this id, so a resumed job can tell.
std::string pretrained_id(const MlpPolicy& policy) {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& p : policy->parameters()) {
    const auto t = p.detach().to(torch::kCPU).contiguous();
    const auto* bytes = static_cast<const unsigned char*>(t.data_ptr());
    for (std::size_t i = 0, n = t.numel() * t.element_size(); i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

ArmResult run_arm(JobContext& c, const Job& job, const NnArm& arm, Backend& backend) {
  const NnStudyConfig& cfg = c.cfg;
  const std::uint64_t arm_seed = arm_seed_of(c, arm);
  std::mt19937_64 rng(arm_seed);
  FineTuner deployed = deployed_policy(c, arm);
  // The selection copy: from the same pre-trained parameters, never trained on the warm start.
  FineTuner selection = deployed.clone();

  std::vector<int> warm_partition;
  const auto part = deployed.partition_of(c.tasks);
  for (int t : c.warm_tasks) warm_partition.push_back(static_cast<int>(part[t].item<std::int64_t>()));
  WarmStart warm(warm_partition, deployed.partitions());

  std::vector<Trajectory> selected;
  ArmResult out;
  std::vector<double> last_success;
  auto record = [&](int round) {
    const auto per_task = c.evaluator.success(deployed, c.job_seed);
    last_success = per_task;
    double mean = 0;
    for (double s : per_task) mean += s / per_task.size();
    out.rounds.push_back({job.pretrain, arm.label, job.seed, round, static_cast<int>(selected.size()), mean, per_task});
  };
  record(0);
  const int batch = arm.batch_size > 0 ? arm.batch_size : cfg.batch_size;
  for (int round = 0; static_cast<int>(selected.size()) < cfg.budget; ++round) {
    const int b = std::min(batch, cfg.budget - static_cast<int>(selected.size()));
    std::vector<const Trajectory*> pool;
    for (const auto& t : c.warm) pool.push_back(&t);
    for (const auto& t : selected) pool.push_back(&t);
    const auto picks = choose_tasks(c, arm, b, selection, pool, last_success, backend, rng);
    std::vector<const Trajectory*> newly;
    for (std::size_t i = 0; i < picks.size(); ++i) {
      out.picks.push_back({job.pretrain, arm.label, job.seed, round, c.env->task_names()[picks[i]]});
      selected.push_back(demonstrate(*c.env, *c.expert, c.env->task_vector(picks[i]), c.demo_noise,
                                     mix_seed(arm_seed, 1000 * (round + 1) + i)));
      warm.select(static_cast<int>(part[picks[i]].item<std::int64_t>()));
    }
    std::vector<const Trajectory*> train, chosen;
    for (const auto& t : selected) chosen.push_back(&t);
    train = chosen;
    for (int id : warm.released_ids()) train.push_back(&c.warm[id]);
    const int steps = cfg.steps_per_demonstration
                          ? static_cast<int>(std::lround(static_cast<double>(cfg.finetune.steps_per_round) * b / cfg.batch_size))
                          : cfg.finetune.steps_per_round;
    deployed.fine_tune(bc_data(train, *c.env), steps);
    // The selection copy learns only what was selected; arms that never read it skip the work.
    if (arm.selector != "uniform" && arm.selector != "rebalance") selection.fine_tune(bc_data(chosen, *c.env), steps);
    record(round + 1);
  }
  return out;
}

// A job's saved arms are paired only if they start from the same pre-trained policy. When every
// arm is saved under one pretrained_id (or, all saved before the ids, with one round-0 success
// per task), nothing is checked and nothing pre-trained. Otherwise the job is
// pre-trained here and each saved arm is kept if it records this pre-training's id or, in files
// older than the id, if its round-0 success per task (the untouched policy's evaluation) equals
// this pre-training's; the others are dropped, to be recomputed, with a warning. A round-0 match
// is necessary, not sufficient: old arms that pass are kept on that evidence alone. Returns
// whether `saved` changed.
template <class Context>
bool keep_arms_of_this_pretraining(const NnStudyConfig& cfg, const Job& job, nlohmann::json& saved, Context& context,
                                   const std::string& pretrained) {
  if (saved.empty()) return false;
  std::set<std::string> ids;
  std::set<std::vector<double>> round0;
  bool complete = true;
  for (const auto& arm : cfg.arms) {
    if (!saved.contains(arm.label)) {
      complete = false;
      continue;
    }
    ids.insert(saved[arm.label].value("pretrained", ""));
    round0.insert(saved[arm.label].at("rounds").at(0).at(6).get<std::vector<double>>());
  }
  // Complete under one id, or complete from before the ids with one round 0: one pre-training.
  if (complete && ids.size() == 1 && (!ids.begin()->empty() || round0.size() == 1)) return false;
  JobContext& c = context();
  bool changed = false;
  for (const auto& arm : cfg.arms) {
    if (!saved.contains(arm.label)) continue;
    auto& a = saved[arm.label];
    bool same;
    std::string why;
    if (a.contains("pretrained")) {
      same = a["pretrained"].get<std::string>() == pretrained;
      why = "it records pre-trained policy " + a["pretrained"].get<std::string>() + ", this process's is " + pretrained;
    } else {
      FineTuner untouched = deployed_policy(c, arm);
      const auto now = c.evaluator.success(untouched, c.job_seed);
      const auto then = a.at("rounds").at(0).at(6).get<std::vector<double>>();
      same = then == now;
      why = "its round-0 success per task differs from this pre-training's";
    }
    if (same) {
      if (a.contains("pretrained")) continue;
      a["pretrained"] = pretrained;
    } else {
      spdlog::warn("amf nn-study: job {} seed {}: arm '{}' was computed from another pre-trained policy ({}; "
                   "pre-training's float results differ between machines and builds); recomputing it so that "
                   "every arm of the job starts from the same policy",
                   job.pretrain, job.seed, arm.label, why);
      saved.erase(arm.label);
    }
    changed = true;
  }
  return changed;
}

}  // namespace

NnStudyResults run_nn_study(const NnStudyConfig& cfg, const StudyProgressCallback& progress, const std::string& checkpoint_dir) {
  validate(cfg);
  {
    // A one-task skew must name one of the scene's tasks: fail here, before any job starts.
    const int K = make_environment(cfg.env)->num_tasks();
    for (const auto& pre : cfg.pretrain) pretrain_tasks(pre, K, cfg.env);
  }
  if (!checkpoint_dir.empty()) make_directories(checkpoint_dir);
  std::vector<Job> jobs;
  for (const auto& pre : cfg.pretrain)
    for (int s = cfg.first_seed; s < cfg.first_seed + cfg.seeds; ++s) jobs.push_back({pre, s});
  // One intra-op thread: jobs fill the cores, and results must not depend on the thread count.
  const int torch_threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const int blas_threads = openblas_get_num_threads ? openblas_get_num_threads() : 0;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  const std::string fingerprint = detail::nn_run_fingerprint(cfg);

  std::vector<std::vector<ArmResult>> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> done{0};
  std::atomic<int> restored{0};
  std::mutex mutex;
  std::exception_ptr error;
  const auto start = std::chrono::steady_clock::now();
  const int total = static_cast<int>(jobs.size() * cfg.arms.size());
  auto work = [&] {
    for (std::size_t j; (j = next++) < jobs.size();) {
      try {
        const Job& job = jobs[j];
        const std::string path = checkpoint_dir.empty()
                                     ? ""
                                     : checkpoint_dir + "/job_" + job.pretrain + "_seed" + std::to_string(job.seed) + ".json";
        auto saved = path.empty() ? nlohmann::json::object() : detail::load_nn_job(path, fingerprint);
        std::unique_ptr<JobContext> ctx;
        std::string pretrained;  // pretrained_id of this process's pre-training of the job
        auto context = [&]() -> JobContext& {
          if (!ctx) {
            ctx = std::make_unique<JobContext>(make_context(cfg, job));
            pretrained = pretrained_id(ctx->pretrained);
          }
          return *ctx;
        };
        if (keep_arms_of_this_pretraining(cfg, job, saved, context, pretrained) && !path.empty()) {
          std::lock_guard<std::mutex> lock(mutex);
          detail::save_nn_job(path, fingerprint, saved);
        }
        auto backend = make_backend(parse_backend_kind(cfg.backend), [] {
          BackendOptions o;
          o.cpu_threads = 1;  // jobs fill the cores
          return o;
        }());
        for (const auto& arm : cfg.arms) {
          ArmResult r;
          const bool was_saved = saved.contains(arm.label);
          if (was_saved) {
            detail::arm_from_json(saved[arm.label], r.rounds, r.picks);
          } else {
            r = run_arm(context(), job, arm, *backend);
            if (!path.empty()) {
              std::lock_guard<std::mutex> lock(mutex);  // one writer per file anyway; keeps logs tidy
              saved[arm.label] = detail::arm_to_json(r.rounds, r.picks);
              saved[arm.label]["pretrained"] = pretrained;
              detail::save_nn_job(path, fingerprint, saved);
            }
          }
          results[j].push_back(std::move(r));
          const int d = ++done;
          const int from_checkpoint = was_saved ? ++restored : restored.load();
          if (progress) {
            std::lock_guard<std::mutex> lock(mutex);
            progress({d, total, from_checkpoint,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
          }
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        next = jobs.size();
        return;
      }
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers = std::min<unsigned>(cfg.threads > 0 ? cfg.threads : hw, jobs.size());
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  torch::set_num_threads(torch_threads);
  if (openblas_set_num_threads && blas_threads > 0) openblas_set_num_threads(blas_threads);
  if (error) std::rethrow_exception(error);

  NnStudyResults all;
  for (auto& job : results)
    for (auto& arm : job) {
      all.rounds.insert(all.rounds.end(), arm.rounds.begin(), arm.rounds.end());
      all.picks.insert(all.picks.end(), arm.picks.begin(), arm.picks.end());
    }
  return all;
}

}  // namespace amf
