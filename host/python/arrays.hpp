#pragma once
// What every part of the Python module shares: numpy arrays converted to float64 (or int64),
// C-contiguous, and checked views of them with errors naming the argument and its shape.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "amf/error.hpp"
#include "amf/view.hpp"

namespace amf_py {

namespace py = pybind11;

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IndexArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

inline std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

inline amf::MatrixView<double> matrix(const Array& a, const char* name, const char* meaning) {
  if (a.ndim() != 2)
    throw amf::InvalidArgument(std::string(name) + " must be a 2-D array (" + meaning + "), got shape " + shape_of(a));
  return amf::MatrixView<double>(a.data(), a.shape(0), a.shape(1));
}

template <typename T, typename A>
amf::VectorView<T> vector(const A& a, const char* name) {
  if (a.ndim() != 1) throw amf::InvalidArgument(std::string(name) + " must be a 1-D array, got shape " + shape_of(a));
  return amf::VectorView<T>(a.data(), a.shape(0));
}

// Each part registers its functions on the module.
void bind_criterion(py::module_& m);
void bind_demonstrations(py::module_& m);
void bind_studies(py::module_& m);

}  // namespace amf_py
