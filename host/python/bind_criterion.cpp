// The criterion and greedy selection on numpy arrays: AMF-GP, AMF-NN (features as embeddings or
// per-layer factors), the kept pairs, and the MPI-sharded selection.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "python/held_arrays.hpp"
#include "amf/harness/tables.hpp"
#ifdef AMF_PY_MPI
#include "amf/mpi/distributed.hpp"
#endif
#include "python/arrays.hpp"
#include "python/interruptible.hpp"

namespace amf_py {
namespace {

// Keeps the converted (float64, contiguous) arrays alive while the problem views them.
struct Problem {
  Array states, actions, tasks, candidates, targets, probs;
  IndexArray offsets;
  amf::CriterionProblem p;
};

std::unique_ptr<Problem> make_problem(Array pool_states, Array pool_actions, IndexArray traj_offsets,
                                      Array pool_tasks, Array candidates, Array targets, Array target_probs,
                                      double state_lengthscale, double task_lengthscale, double signal_variance,
                                      double noise_variance, std::pair<double, double> clip, double min_weight,
                                      int batch_size) {
  auto q = std::make_unique<Problem>();
  q->states = std::move(pool_states);
  q->actions = std::move(pool_actions);
  q->offsets = std::move(traj_offsets);
  q->tasks = std::move(pool_tasks);
  q->candidates = std::move(candidates);
  q->targets = std::move(targets);
  q->probs = std::move(target_probs);
  auto& p = q->p;
  p.pool_states = matrix(q->states, "pool_states", "n_steps x state_dim");
  p.pool_actions = matrix(q->actions, "pool_actions", "n_steps x action_dim");
  p.traj_offsets = vector<std::int64_t>(q->offsets, "traj_offsets");
  p.pool_tasks = matrix(q->tasks, "pool_tasks", "n_trajectories x task_dim");
  p.candidates = matrix(q->candidates, "candidates", "n_candidates x task_dim");
  p.targets = matrix(q->targets, "targets", "n_targets x task_dim");
  p.target_probs = vector<double>(q->probs, "target_probs");
  p.kernel = {state_lengthscale, task_lengthscale, signal_variance};
  p.noise_variance = noise_variance;
  p.clip = {clip.first, clip.second};
  p.min_weight = min_weight;
  p.batch_size = batch_size;
  return q;
}

py::dict to_dict(const amf::CriterionResult& r, std::int64_t N, std::int64_t R) {
  py::dict d;
  d["J"] = py::array_t<double>(r.J.size(), r.J.data());
  d["info_gain"] = py::array_t<double>(r.info_gain.size(), r.info_gain.data());
  d["weights"] = py::array_t<double>({N, R}, r.weights.data());
  d["num_target_points"] = r.num_target_points;
  if (!r.batch.empty()) {
    d["batch"] = py::array_t<std::int64_t>(r.batch.size(), r.batch.data());
    d["batch_J"] = py::array_t<double>(r.batch_J.size(), r.batch_J.data());
    d["pseudo_demo_trajectory"] =
        py::array_t<std::int64_t>(r.pseudo_demo_trajectory.size(), r.pseudo_demo_trajectory.data());
  }
  return d;
}

#ifdef AMF_PY_MPI
// Python programs started by mpirun: MPI is initialised on first use unless the program (e.g.
// through mpi4py) already did, and then finalised at interpreter exit only if we started it.
void ensure_mpi() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  py::module_::import("atexit").attr("register")(py::cpp_function([] {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (!finalised) MPI_Finalize();
  }));
}
#endif

std::pair<int, int> mpi_world() {
#ifdef AMF_PY_MPI
  ensure_mpi();
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return {rank, size};
#else
  throw amf::Error("this amf module was built without MPI (install libopenmpi-dev and rebuild)");
#endif
}

// Sharded selection over MPI_COMM_WORLD for either criterion: every rank calls with the same
// problem, candidates are sharded over the ranks (one session per rank, one reduction per pick)
// and every rank gets the one-process result. `backend` is the caller's (an amf.Engine's) or null
// for a rank backend of kind `backend_name` (one GPU per rank on a node with several).
template <typename Problem>
amf::CriterionResult select_distributed([[maybe_unused]] const Problem& p, [[maybe_unused]] amf::Backend* backend,
                                        [[maybe_unused]] const std::string& backend_name,
                                        [[maybe_unused]] const amf::BackendOptions& options,
                                        [[maybe_unused]] double time_limit_s) {
  amf::CriterionResult r;
#ifdef AMF_PY_MPI
  // MPI was initialised FUNNELED: its calls stay on this thread, so Ctrl-C and progress are not
  // offered here (mpirun forwards SIGINT to every rank, which ends them all).
  py::gil_scoped_release release;
  std::unique_ptr<amf::Backend> own_backend;
  if (!backend) {
    own_backend = amf::make_rank_backend(amf::parse_backend_kind(backend_name), options, MPI_COMM_WORLD);
    backend = own_backend.get();
  }
  amf::SelectionControl control;
  control.time_limit_s = time_limit_s;
  r = amf::select_batch_distributed(p, *backend, MPI_COMM_WORLD, control);
#endif
  return r;
}

// to_dict of a distributed result, with this rank and the number of ranks.
py::dict with_rank(py::dict d, std::pair<int, int> world) {
  d["rank"] = world.first;
  d["ranks"] = world.second;
  return d;
}

py::dict run(bool select, Array pool_states, Array pool_actions, IndexArray traj_offsets, Array pool_tasks,
             Array candidates, Array targets, Array target_probs, double state_lengthscale, double task_lengthscale,
             double signal_variance, double noise_variance, std::pair<double, double> clip, double min_weight,
             int batch_size, const std::string& backend_name, const std::string& out, bool distributed,
             std::int64_t session_cache_bytes, const py::object& progress, double time_limit_s) {
  amf::BackendOptions options;
  options.session_cache_bytes = session_cache_bytes;
  auto q = make_problem(std::move(pool_states), std::move(pool_actions), std::move(traj_offsets),
                        std::move(pool_tasks), std::move(candidates), std::move(targets), std::move(target_probs),
                        state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight,
                        batch_size);
  amf::CriterionResult r;
  if (distributed) {
    // Only rank 0 writes `out`.
    if (!select) throw amf::InvalidArgument("distributed=True is an option of select_batch, not criterion");
    const auto world = mpi_world();
    r = select_distributed(q->p, nullptr, backend_name, options, time_limit_s);
    if (!out.empty() && world.first == 0) amf::write_selection(out, q->p, r);
    return with_rank(to_dict(r, q->p.candidates.rows, q->p.num_trajectories()), world);
  }
  auto backend = amf::make_backend(amf::parse_backend_kind(backend_name), options);
  r = run_interruptible(
      [&](const amf::SelectionControl& control) {
        return select ? amf::select_batch(q->p, *backend, control) : amf::evaluate_criterion(q->p, *backend, control);
      },
      progress, time_limit_s);
  if (!out.empty()) amf::write_selection(out, q->p, r);
  return to_dict(r, q->p.candidates.rows, q->p.num_trajectories());
}

// Features from Python: a 2-D array (explicit embeddings, P x D) or a list of terms, as
// python/amf/_arguments.py normalises them: ("explicit", P x D) at most once, and
// (kind, inputs, signals, tokens) with kind "linear", "linear-no-bias" or "layernorm", 2-D arrays
// whose rows hold `tokens` tokens: numpy arrays or CUDA tensors (held_arrays.hpp), read in place.
amf::FeatureSet features(const py::object& obj, const char* name, HeldArrays& held) {
  amf::FeatureSet f;
  const std::string what(name);
  if (!py::isinstance<py::list>(obj) && !py::isinstance<py::tuple>(obj)) {
    f.embedding = held.view(obj, name, "points x embedding width", 2);
    return f;
  }
  for (const auto& item : obj) {
    const auto t = item.cast<py::tuple>();
    const auto kind = t.size() > 0 ? t[0].cast<std::string>() : std::string();
    if (kind == "explicit" && t.size() == 2) {
      if (f.has_embedding()) throw amf::InvalidArgument(what + ": more than one explicit part");
      f.embedding = held.view(t[1], name, "points x embedding width", 2);
      continue;
    }
    if (t.size() != 4 || (kind != "linear" && kind != "linear-no-bias" && kind != "layernorm"))
      throw amf::InvalidArgument(what + ": each term is (\"explicit\", embedding) or (kind, inputs, signals, tokens) "
                                 "with kind linear, linear-no-bias or layernorm");
    amf::FactorisedLayer layer;
    layer.kind = kind == "layernorm" ? amf::FactorisedLayer::Kind::LayerNorm : amf::FactorisedLayer::Kind::Linear;
    layer.inputs = held.view(t[1], name, "points x (tokens x layer input width)", 2);
    layer.signals = held.view(t[2], name, "points x (tokens x layer output width)", 2);
    layer.tokens = t[3].cast<std::int64_t>();
    layer.bias = kind != "linear-no-bias";
    f.layers.push_back(layer);
  }
  return f;
}

// A backend made once and reused across selections (amf.Engine): its CUDA context, streams,
// library handles and pinned staging live between calls.
struct Engine {
  std::unique_ptr<amf::Backend> backend;
  std::string kind;
};

std::shared_ptr<Engine> make_engine(const std::string& backend_name, int cuda_device, std::uintptr_t cuda_stream,
                                    std::int64_t session_cache_bytes) {
  amf::BackendOptions options;
  options.session_cache_bytes = session_cache_bytes;
  options.cuda.device = cuda_device;
  options.cuda.stream = reinterpret_cast<void*>(cuda_stream);
  auto engine = std::make_shared<Engine>();
  engine->backend = amf::make_backend(amf::parse_backend_kind(backend_name), options);
  engine->kind = engine->backend->name();
  return engine;
}

py::dict run_features(bool select, IndexArray traj_offsets, const py::object& candidate_logp,
                      const py::object& target_logp, const py::object& own_logp, Array target_probs,
                      const py::object& candidate_features, const py::object& target_features, double noise_variance,
                      std::pair<double, double> clip, double min_weight, int batch_size,
                      const std::string& backend_name, const std::string& gram_precision,
                      const std::optional<IndexArray>& candidate_feature_rows,
                      const std::optional<IndexArray>& target_feature_rows,
                      const std::optional<IndexArray>& candidate_groups, const std::optional<IndexArray>& target_groups,
                      std::int64_t session_cache_bytes, const py::object& progress, double time_limit_s,
                      const std::shared_ptr<Engine>& engine, bool distributed) {
  HeldArrays held;
  amf::FeatureCriterionProblem p;
  p.traj_offsets = vector<std::int64_t>(traj_offsets, "traj_offsets");
  p.candidate_logp = held.view(candidate_logp, "candidate_logp", "candidates x pool steps", 2);
  p.target_logp = held.view(target_logp, "target_logp", "targets x pool steps", 2);
  p.own_logp = held.view(own_logp, "own_logp", "one per pool step", 1);
  p.target_probs = vector<double>(target_probs, "target_probs");
  p.candidate_features = features(candidate_features, "candidate_features", held);
  p.target_features = features(target_features, "target_features", held);
  p.noise_variance = noise_variance;
  p.clip = {clip.first, clip.second};
  p.min_weight = min_weight;
  p.batch_size = batch_size;
  if (candidate_feature_rows) p.candidate_feature_rows = vector<std::int64_t>(*candidate_feature_rows, "candidate_feature_rows");
  if (target_feature_rows) p.target_feature_rows = vector<std::int64_t>(*target_feature_rows, "target_feature_rows");
  if (candidate_groups) p.candidate_groups = vector<std::int64_t>(*candidate_groups, "candidate_groups");
  if (target_groups) p.target_groups = vector<std::int64_t>(*target_groups, "target_groups");
  if (gram_precision == "float32")
    p.gram_precision = amf::GramPrecision::Float32;
  else if (gram_precision != "float64")
    throw amf::InvalidArgument("gram_precision '" + gram_precision + "' is unknown (choose float64 or float32)");
  amf::BackendOptions options;
  options.session_cache_bytes = session_cache_bytes;
  std::unique_ptr<amf::Backend> own_backend;
  amf::Backend* backend = engine ? engine->backend.get() : nullptr;
  if (distributed) {
    if (!select) throw amf::InvalidArgument("distributed=True is an option of feature_select_batch only");
    const auto world = mpi_world();
    return with_rank(to_dict(select_distributed(p, backend, backend_name, options, time_limit_s),
                             p.candidate_logp.rows, p.traj_offsets.size - 1),
                     world);
  }
  if (!backend) {
    own_backend = amf::make_backend(amf::parse_backend_kind(backend_name), options);
    backend = own_backend.get();
  }
  const amf::CriterionResult r = run_interruptible(
      [&](const amf::SelectionControl& control) {
        return select ? amf::select_batch(p, *backend, control) : amf::evaluate_criterion(p, *backend, control);
      },
      progress, time_limit_s);
  return to_dict(r, p.candidate_logp.rows, p.traj_offsets.size - 1);
}

}  // namespace

void bind_criterion(py::module_& m) {
  // Documented and given defaults in python/amf/__init__.py.
  m.def("_criterion", &run, py::arg("select"), py::arg("pool_states"), py::arg("pool_actions"),
        py::arg("traj_offsets"), py::arg("pool_tasks"), py::arg("candidates"), py::arg("targets"),
        py::arg("target_probs"), py::arg("state_lengthscale"), py::arg("task_lengthscale"),
        py::arg("signal_variance"), py::arg("noise_variance"), py::arg("clip"), py::arg("min_weight"),
        py::arg("batch_size"), py::arg("backend"), py::arg("out"), py::arg("distributed") = false,
        py::arg("session_cache_bytes") = -1, py::arg("progress") = py::none(), py::arg("time_limit_s") = 0.0);
  m.def("mpi_world", &mpi_world,
        "(rank, size) of MPI_COMM_WORLD, initialising MPI if needed (modules built with MPI only).");
  m.def("_feature_criterion", &run_features, py::arg("select"), py::arg("traj_offsets"), py::arg("candidate_logp"),
        py::arg("target_logp"), py::arg("own_logp"), py::arg("target_probs"), py::arg("candidate_features"),
        py::arg("target_features"), py::arg("noise_variance"), py::arg("clip"), py::arg("min_weight"),
        py::arg("batch_size"), py::arg("backend"), py::arg("gram_precision") = "float64",
        py::arg("candidate_feature_rows") = std::nullopt, py::arg("target_feature_rows") = std::nullopt,
        py::arg("candidate_groups") = std::nullopt, py::arg("target_groups") = std::nullopt,
        py::arg("session_cache_bytes") = -1,
        py::arg("progress") = py::none(), py::arg("time_limit_s") = 0.0, py::arg("engine") = nullptr,
        py::arg("distributed") = false);
  py::class_<Engine, std::shared_ptr<Engine>>(m, "_Engine").def_readonly("backend", &Engine::kind);
  m.def("_make_engine", &make_engine, py::arg("backend"), py::arg("cuda_device") = 0, py::arg("cuda_stream") = 0,
        py::arg("session_cache_bytes") = -1);
  m.def(
      "_kept_candidate_pairs",
      [](IndexArray traj_offsets, const py::object& candidate_logp, const py::object& own_logp,
         std::pair<double, double> clip, double min_weight) {
        HeldArrays held;
        amf::FeatureCriterionProblem p;
        p.traj_offsets = vector<std::int64_t>(traj_offsets, "traj_offsets");
        p.candidate_logp = held.view(candidate_logp, "candidate_logp", "candidates x pool steps", 2);
        p.own_logp = held.view(own_logp, "own_logp", "one per pool step", 1);
        p.clip = {clip.first, clip.second};
        p.min_weight = min_weight;
        const auto pairs = amf::kept_candidate_pairs(p);
        py::array_t<std::int64_t> idx({static_cast<py::ssize_t>(pairs.size()), py::ssize_t(2)});
        py::array_t<double> w(static_cast<py::ssize_t>(pairs.size()));
        auto I = idx.mutable_unchecked<2>();
        auto W = w.mutable_unchecked<1>();
        for (std::size_t q = 0; q < pairs.size(); ++q) {
          I(q, 0) = pairs[q].candidate;
          I(q, 1) = pairs[q].trajectory;
          W(q) = pairs[q].weight;
        }
        return py::make_tuple(idx, w);
      },
      py::arg("traj_offsets"), py::arg("candidate_logp"), py::arg("own_logp"), py::arg("clip"), py::arg("min_weight"));
  m.def(
      "_kept_target_steps",
      [](IndexArray traj_offsets, const py::object& target_logp, const py::object& own_logp, Array target_probs,
         std::pair<double, double> clip, double min_weight) {
        HeldArrays held;
        amf::FeatureCriterionProblem p;
        p.traj_offsets = vector<std::int64_t>(traj_offsets, "traj_offsets");
        p.target_logp = held.view(target_logp, "target_logp", "targets x pool steps", 2);
        p.own_logp = held.view(own_logp, "own_logp", "one per pool step", 1);
        p.target_probs = vector<double>(target_probs, "target_probs");
        p.clip = {clip.first, clip.second};
        p.min_weight = min_weight;
        const std::vector<std::int64_t> steps = amf::kept_target_steps(p);
        return py::array_t<std::int64_t>(static_cast<py::ssize_t>(steps.size()), steps.data());
      },
      py::arg("traj_offsets"), py::arg("target_logp"), py::arg("own_logp"), py::arg("target_probs"),
      py::arg("clip"), py::arg("min_weight"));
}

}  // namespace amf_py
