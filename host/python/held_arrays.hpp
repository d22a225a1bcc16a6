#pragma once
// Arrays from Python that the engine reads where they lie (amf::ArrayView), and what keeps them
// alive while it does: numpy arrays of float32 or float64 with unit-stride rows (no copy; other
// dtypes and layouts are converted to float64, as before), and CUDA tensors of any framework,
// received through DLPack (a torch tensor's __dlpack__), whose memory stays on its device.
#include <dlpack/dlpack.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <vector>

#include "amf/array_view.hpp"

namespace amf_py {

namespace py = pybind11;

class HeldArrays {
 public:
  HeldArrays() = default;
  HeldArrays(const HeldArrays&) = delete;
  HeldArrays& operator=(const HeldArrays&) = delete;
  ~HeldArrays();  // returns the DLPack tensors to their producer (its deleter); needs the GIL

  // `ndim` 1 gives an n x 1 column, 2 a matrix; errors (amf::InvalidArgument) name `name`, what
  // the array means, and what was given.
  amf::ArrayView view(const py::handle& obj, const char* name, const char* meaning, int ndim);

 private:
  amf::ArrayView from_dlpack(const py::handle& obj, const char* name, const char* meaning, int ndim);
  std::vector<py::object> objects_;
  std::vector<DLManagedTensor*> tensors_;
};

}  // namespace amf_py
