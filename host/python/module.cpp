// The amf Python module (_amf, wrapped by python/amf/__init__.py): the criterion and greedy
// selection on numpy arrays, demonstrations files, and the studies. Arrays may be float32 or
// float64 (any layout); amf computes in float64. amf::InvalidArgument becomes ValueError.
// Each topic registers its functions (bind_*.cpp); this file makes the module.
#include <pybind11/pybind11.h>

#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/version.hpp"
#include "python/arrays.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_amf, m) {
  m.attr("__version__") = amf::version();
  m.doc() = "amf: active multi-task fine-tuning (C++ engine)";
  // Translators run in reverse order of registration: the derived class goes last.
  py::register_exception<amf::Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<amf::InvalidArgument>(m, "InvalidArgument", PyExc_ValueError);
  // Registered after InvalidArgument, its base, so that pybind matches it first.
  py::register_exception<amf::TooLarge>(m, "TooLarge", m.attr("InvalidArgument").ptr());
  py::register_exception<amf::OutOfMemory>(m, "OutOfMemory", PyExc_MemoryError);
  amf_py::bind_criterion(m);
  amf_py::bind_demonstrations(m);
  amf_py::bind_studies(m);
  m.def("cuda_device_count", &amf::cuda_device_count, "CUDA devices visible to amf (0 without CUDA).");
}
