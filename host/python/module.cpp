// The amf Python module (_amf, wrapped by python/amf/__init__.py): the criterion and greedy
// selection on numpy arrays, demonstrations files, and the studies. Arrays may be float32 or
// float64 (any layout); amf computes in float64. amf::InvalidArgument becomes ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "amf/backend.hpp"
#include "amf/version.hpp"
#include "amf/bootstrap.hpp"
#include "amf/config.hpp"
#include "amf/criterion.hpp"
#include "amf/demonstrations.hpp"
#include "amf/error.hpp"
#include "amf/feature_problem.hpp"
#include "amf/study.hpp"
#include "amf/success_study_output.hpp"
#include "amf/tables.hpp"

#ifdef AMF_PY_MPI
#include "amf/distributed.hpp"
#endif

namespace py = pybind11;

namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IndexArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

amf::MatrixView<double> matrix(const Array& a, const char* name, const char* meaning) {
  if (a.ndim() != 2)
    throw amf::InvalidArgument(std::string(name) + " must be a 2-D array (" + meaning + "), got shape " + shape_of(a));
  return amf::MatrixView<double>(a.data(), a.shape(0), a.shape(1));
}

template <typename T, typename A>
amf::VectorView<T> vector(const A& a, const char* name) {
  if (a.ndim() != 1) throw amf::InvalidArgument(std::string(name) + " must be a 1-D array, got shape " + shape_of(a));
  return amf::VectorView<T>(a.data(), a.shape(0));
}

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

py::dict run(bool select, Array pool_states, Array pool_actions, IndexArray traj_offsets, Array pool_tasks,
             Array candidates, Array targets, Array target_probs, double state_lengthscale, double task_lengthscale,
             double signal_variance, double noise_variance, std::pair<double, double> clip, double min_weight,
             int batch_size, const std::string& backend_name, const std::string& out, bool distributed) {
  auto q = make_problem(std::move(pool_states), std::move(pool_actions), std::move(traj_offsets),
                        std::move(pool_tasks), std::move(candidates), std::move(targets), std::move(target_probs),
                        state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight,
                        batch_size);
  amf::CriterionResult r;
  if (distributed) {
    // Every rank of MPI_COMM_WORLD calls with the same problem; candidates are sharded over
    // them and every rank gets the single-process result. Rank 0 writes `out`.
    if (!select) throw amf::InvalidArgument("distributed=True is an option of select_batch, not criterion");
    const auto [rank, size] = mpi_world();
#ifdef AMF_PY_MPI
    {
      py::gil_scoped_release release;
      const auto backend = amf::make_rank_backend(amf::parse_backend_kind(backend_name), {}, MPI_COMM_WORLD);
      r = amf::select_batch_distributed(q->p, *backend, MPI_COMM_WORLD);
    }
#endif
    if (!out.empty() && rank == 0) amf::write_selection(out, q->p, r);
    py::dict d = to_dict(r, q->p.candidates.rows, q->p.num_trajectories());
    d["rank"] = rank;
    d["ranks"] = size;
    return d;
  }
  auto backend = amf::make_backend(amf::parse_backend_kind(backend_name));
  {
    py::gil_scoped_release release;  // the criterion is pure C++: let other Python threads run
    r = select ? amf::select_batch(q->p, *backend) : amf::evaluate_criterion(q->p, *backend);
  }
  if (!out.empty()) amf::write_selection(out, q->p, r);
  return to_dict(r, q->p.candidates.rows, q->p.num_trajectories());
}

// Features from Python: a 2-D array (explicit embeddings, P x D) or a list of
// (kind, inputs, signals) with kind "linear" or "layernorm" (the factorised form). `keep`
// holds the converted arrays while the views are in use.
amf::FeatureSet features(const py::object& obj, const char* name, std::vector<Array>& keep) {
  amf::FeatureSet f;
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    for (const auto& item : obj) {
      const auto t = item.cast<py::tuple>();
      if (t.size() != 3) throw amf::InvalidArgument(std::string(name) + ": each layer is (kind, inputs, signals)");
      const auto kind = t[0].cast<std::string>();
      if (kind != "linear" && kind != "layernorm")
        throw amf::InvalidArgument(std::string(name) + ": layer kind '" + kind + "' (choose linear or layernorm)");
      keep.push_back(t[1].cast<Array>());
      keep.push_back(t[2].cast<Array>());
      f.layers.push_back({kind == "linear" ? amf::FactorisedLayer::Kind::Linear : amf::FactorisedLayer::Kind::LayerNorm,
                          matrix(keep[keep.size() - 2], name, "points x layer input width"),
                          matrix(keep.back(), name, "points x layer output width")});
    }
  } else {
    keep.push_back(obj.cast<Array>());
    f.embedding = matrix(keep.back(), name, "points x embedding width");
  }
  return f;
}

py::dict run_features(bool select, IndexArray traj_offsets, Array candidate_logp, Array target_logp, Array own_logp,
                      Array target_probs, const py::object& candidate_features, const py::object& target_features,
                      double noise_variance, std::pair<double, double> clip, double min_weight, int batch_size,
                      const std::string& backend_name, const std::string& gram_precision,
                      const std::optional<IndexArray>& candidate_feature_rows) {
  std::vector<Array> keep;
  keep.reserve(64);
  amf::FeatureCriterionProblem p;
  p.traj_offsets = vector<std::int64_t>(traj_offsets, "traj_offsets");
  p.candidate_logp = matrix(candidate_logp, "candidate_logp", "candidates x pool steps");
  p.target_logp = matrix(target_logp, "target_logp", "targets x pool steps");
  p.own_logp = vector<double>(own_logp, "own_logp");
  p.target_probs = vector<double>(target_probs, "target_probs");
  p.candidate_features = features(candidate_features, "candidate_features", keep);
  p.target_features = features(target_features, "target_features", keep);
  p.noise_variance = noise_variance;
  p.clip = {clip.first, clip.second};
  p.min_weight = min_weight;
  p.batch_size = batch_size;
  if (candidate_feature_rows) p.candidate_feature_rows = vector<std::int64_t>(*candidate_feature_rows, "candidate_feature_rows");
  if (gram_precision == "float32")
    p.gram_precision = amf::GramPrecision::Float32;
  else if (gram_precision != "float64")
    throw amf::InvalidArgument("gram_precision '" + gram_precision + "' is unknown (choose float64 or float32)");
  auto backend = amf::make_backend(amf::parse_backend_kind(backend_name));
  amf::CriterionResult r;
  {
    py::gil_scoped_release release;
    r = select ? amf::select_batch(p, *backend) : amf::evaluate_criterion(p, *backend);
  }
  return to_dict(r, p.candidate_logp.rows, p.traj_offsets.size - 1);
}

py::list load_demonstrations(const std::string& path, const std::vector<std::string>& obs_keys) {
  const amf::Dataset d = amf::read_demonstrations(path, obs_keys);
  py::list out;
  for (const auto& t : d.trajectories()) {
    const py::ssize_t steps = static_cast<py::ssize_t>(t.states.size()) / d.state_dim();
    py::dict demo;
    demo["task"] = py::array_t<double>(t.task.size(), t.task.data());
    demo["states"] = py::array_t<double>({steps, static_cast<py::ssize_t>(d.state_dim())}, t.states.data());
    demo["actions"] = py::array_t<double>({steps, static_cast<py::ssize_t>(d.action_dim())}, t.actions.data());
    out.append(demo);
  }
  return out;
}

void save_demonstrations(const std::string& path, const py::list& demos, const std::string& obs_key) {
  if (demos.empty()) throw amf::InvalidArgument("save_demonstrations: no demonstrations");
  std::unique_ptr<amf::Dataset> d;
  for (py::ssize_t i = 0; i < static_cast<py::ssize_t>(demos.size()); ++i) {
    const py::dict demo = demos[i].cast<py::dict>();
    const std::string where = "demos[" + std::to_string(i) + "]";
    for (const char* key : {"task", "states", "actions"})
      if (!demo.contains(key)) throw amf::InvalidArgument(where + " has no '" + key + "'");
    const Array task = demo["task"].cast<Array>(), states = demo["states"].cast<Array>(),
                actions = demo["actions"].cast<Array>();
    const auto s = matrix(states, (where + "['states']").c_str(), "steps x state_dim");
    const auto a = matrix(actions, (where + "['actions']").c_str(), "steps x action_dim");
    const auto c = vector<double>(task, (where + "['task']").c_str());
    if (!d) d = std::make_unique<amf::Dataset>(s.cols, a.cols, c.size);
    d->add(amf::Trajectory{std::vector<double>(c.data, c.data + c.size),
                           std::vector<double>(s.data, s.data + s.rows * s.cols),
                           std::vector<double>(a.data, a.data + a.rows * a.cols)});
  }
  amf::write_demonstrations(path, *d, obs_key);
}

// A required key of a dict, converted; a missing key or a wrong type names the record and key.
template <typename T>
T field(const py::dict& d, const char* key, const std::string& where) {
  if (!d.contains(key)) throw amf::InvalidArgument(where + " has no '" + key + "'");
  try {
    return d[key].cast<T>();
  } catch (const py::cast_error&) {
    throw amf::InvalidArgument(where + "['" + key + "'] has the wrong type (" +
                               std::string(py::str(py::type::of(d[key]).attr("__name__"))) + ")");
  }
}

std::string write_study_outputs(const py::dict& spec, const py::list& rounds, const py::list& picks,
                                const std::string& out) {
  amf::SuccessStudyOutputSpec s;
  s.env = field<std::string>(spec, "env", "spec");
  s.figure = field<std::string>(spec, "figure", "spec");
  s.task_names = field<std::vector<std::string>>(spec, "task_names", "spec");
  s.pretrain = field<std::vector<std::string>>(spec, "pretrain", "spec");
  s.arm_labels = field<std::vector<std::string>>(spec, "arm_labels", "spec");
  s.budget = field<int>(spec, "budget", "spec");
  s.seeds = field<int>(spec, "seeds", "spec");
  s.bootstrap_resamples = field<int>(spec, "bootstrap_resamples", "spec");
  s.confidence = field<double>(spec, "confidence", "spec");
  s.config_json = field<std::string>(spec, "config_json", "spec");
  amf::NnStudyResults res;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    const std::string where = "rounds[" + std::to_string(i) + "]";
    if (!py::isinstance<py::dict>(rounds[i])) throw amf::InvalidArgument(where + " is not a dict");
    const py::dict r = rounds[i].cast<py::dict>();
    res.rounds.push_back({field<std::string>(r, "pretrain", where), field<std::string>(r, "arm", where),
                          field<int>(r, "seed", where), field<int>(r, "round", where), field<int>(r, "demos", where),
                          field<double>(r, "success", where), field<std::vector<double>>(r, "task_success", where)});
  }
  for (std::size_t i = 0; i < picks.size(); ++i) {
    const std::string where = "picks[" + std::to_string(i) + "]";
    if (!py::isinstance<py::dict>(picks[i])) throw amf::InvalidArgument(where + " is not a dict");
    const py::dict p = picks[i].cast<py::dict>();
    res.picks.push_back({field<std::string>(p, "pretrain", where), field<std::string>(p, "arm", where),
                         field<int>(p, "seed", where), field<int>(p, "round", where), field<std::string>(p, "task", where)});
  }
  return amf::write_success_study_outputs(s, res, out);
}

std::string run_study(const std::string& config_path, const std::string& out) {
  const amf::StudyRunConfig rc = amf::load_study_config(config_path);
  const std::string dir = out.empty() ? rc.out_dir : out;
  amf::GpStudyResults results;
  {
    py::gil_scoped_release release;
    results = amf::run_gp_study(rc.gp, {}, dir + "/runs");
  }
  return amf::write_gp_study_outputs(rc.gp, results, dir);
}

}  // namespace

PYBIND11_MODULE(_amf, m) {
  m.attr("__version__") = amf::version();
  m.doc() = "amf: active multi-task fine-tuning (C++ engine)";
  // Translators run in reverse order of registration: the derived class goes last.
  py::register_exception<amf::Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<amf::InvalidArgument>(m, "InvalidArgument", PyExc_ValueError);

  // Documented and given defaults in python/amf/__init__.py.
  m.def("_criterion", &run, py::arg("select"), py::arg("pool_states"), py::arg("pool_actions"),
        py::arg("traj_offsets"), py::arg("pool_tasks"), py::arg("candidates"), py::arg("targets"),
        py::arg("target_probs"), py::arg("state_lengthscale"), py::arg("task_lengthscale"),
        py::arg("signal_variance"), py::arg("noise_variance"), py::arg("clip"), py::arg("min_weight"),
        py::arg("batch_size"), py::arg("backend"), py::arg("out"), py::arg("distributed") = false);
  m.def("mpi_world", &mpi_world,
        "(rank, size) of MPI_COMM_WORLD, initialising MPI if needed (modules built with MPI only).");
  m.def("_feature_criterion", &run_features, py::arg("select"), py::arg("traj_offsets"), py::arg("candidate_logp"),
        py::arg("target_logp"), py::arg("own_logp"), py::arg("target_probs"), py::arg("candidate_features"),
        py::arg("target_features"), py::arg("noise_variance"), py::arg("clip"), py::arg("min_weight"),
        py::arg("batch_size"), py::arg("backend"), py::arg("gram_precision") = "float64",
        py::arg("candidate_feature_rows") = std::nullopt);
  m.def(
      "_kept_candidate_pairs",
      [](IndexArray traj_offsets, Array candidate_logp, Array own_logp, std::pair<double, double> clip,
         double min_weight) {
        amf::FeatureCriterionProblem p;
        p.traj_offsets = vector<std::int64_t>(traj_offsets, "traj_offsets");
        p.candidate_logp = matrix(candidate_logp, "candidate_logp", "candidates x pool steps");
        p.own_logp = vector<double>(own_logp, "own_logp");
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
  m.def("load_demonstrations", &load_demonstrations, py::arg("path"), py::arg("obs_keys") = std::vector<std::string>{},
        "Read an HDF5 demonstrations file (robomimic layout) as a list of dicts with 'task' (dc,),\n"
        "'states' (T, ds) and 'actions' (T, da) float64 arrays. Raises ValueError naming the file and\n"
        "field for a malformed file.");
  m.def("save_demonstrations", &save_demonstrations, py::arg("path"), py::arg("demos"), py::arg("obs_key") = "state",
        "Write demonstrations (dicts with 'task', 'states', 'actions') to HDF5 in the robomimic layout,\n"
        "atomically.");
  m.def("run_study", &run_study, py::arg("config"), py::arg("out") = "",
        "Run (or resume) the study a TOML configuration file describes; returns the summary table.");
  m.def(
      "bootstrap_mean_ci",
      [](const std::vector<double>& values, double confidence, int resamples, std::uint64_t seed) {
        if (values.empty()) throw amf::InvalidArgument("bootstrap_mean_ci: no values");
        if (!(confidence > 0 && confidence < 1))
          throw amf::InvalidArgument("bootstrap_mean_ci: confidence " + std::to_string(confidence) + " (must be in (0, 1))");
        if (resamples < 1) throw amf::InvalidArgument("bootstrap_mean_ci: resamples must be >= 1");
        const amf::MeanCI ci = amf::bootstrap_mean_ci(values, confidence, resamples, seed);
        return py::make_tuple(ci.mean, ci.lo, ci.hi);
      },
      py::arg("values"), py::arg("confidence") = 0.9, py::arg("resamples") = 2000, py::arg("seed") = 1,
      "(mean, lo, hi): the mean and its percentile-bootstrap confidence interval, the same estimator the\n"
      "C++ studies use, deterministic for a seed.");
  m.def("write_study_outputs", &write_study_outputs, py::arg("spec"), py::arg("rounds"), py::arg("picks"),
        py::arg("out"),
        "Write a success-rate policy study's curves.csv, picks.csv, summary_curves.csv, auc.csv,\n"
        "summary.json and summary.txt (atomically) with the C++ studies' writer; returns the table.\n"
        "spec: env, figure, task_names, pretrain, arm_labels, budget, seeds, bootstrap_resamples,\n"
        "confidence, config_json. rounds: dicts with pretrain, arm, seed, round, demos, success,\n"
        "task_success; picks: dicts with pretrain, arm, seed, round, task.");
  m.def("cuda_device_count", &amf::cuda_device_count, "CUDA devices visible to amf (0 without CUDA).");
}
