// The studies: a TOML-configured study, the bootstrap CI and the success-study writer the Python
// policy studies share with the C++ ones.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "amf/harness/bootstrap.hpp"
#include "amf/harness/config.hpp"
#include "amf/error.hpp"
#include "amf/harness/study.hpp"
#include "amf/harness/success_study_output.hpp"
#include "python/arrays.hpp"

namespace amf_py {
namespace {

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
  if (spec.contains("interval")) s.interval = field<std::string>(spec, "interval", "spec");
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

void bind_studies(py::module_& m) {
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
}

}  // namespace amf_py
