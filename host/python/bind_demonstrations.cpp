// Demonstrations files (HDF5, robomimic layout) to and from lists of dicts of numpy arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "amf/dataset.hpp"
#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"
#include "python/arrays.hpp"

namespace amf_py {
namespace {

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

}  // namespace

void bind_demonstrations(py::module_& m) {
  m.def("load_demonstrations", &load_demonstrations, py::arg("path"), py::arg("obs_keys") = std::vector<std::string>{},
        "Read an HDF5 demonstrations file (robomimic layout) as a list of dicts with 'task' (dc,),\n"
        "'states' (T, ds) and 'actions' (T, da) float64 arrays. Raises ValueError naming the file and\n"
        "field for a malformed file.");
  m.def("save_demonstrations", &save_demonstrations, py::arg("path"), py::arg("demos"), py::arg("obs_key") = "state",
        "Write demonstrations (dicts with 'task', 'states', 'actions') to HDF5 in the robomimic layout,\n"
        "atomically.");
}

}  // namespace amf_py
