#include "python/held_arrays.hpp"

#include <string>

#include "amf/error.hpp"
#include "python/arrays.hpp"

namespace amf_py {
namespace {

std::string dims(std::int64_t ndim, const std::int64_t* shape) {
  std::string s = "(";
  for (std::int64_t i = 0; i < ndim; ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (ndim == 1 ? ",)" : ")");
}

}  // namespace

HeldArrays::~HeldArrays() {
  for (DLManagedTensor* t : tensors_)
    if (t->deleter) t->deleter(t);
}

amf::ArrayView HeldArrays::view(const py::handle& obj, const char* name, const char* meaning, int ndim) {
  if (!py::isinstance<py::array>(obj) && py::hasattr(obj, "__dlpack__")) return from_dlpack(obj, name, meaning, ndim);
  py::array a = py::isinstance<py::array>(obj) ? py::reinterpret_borrow<py::array>(obj) : py::array(obj.cast<Array>());
  const bool f32 = a.dtype().is(py::dtype::of<float>()), f64 = a.dtype().is(py::dtype::of<double>());
  const py::ssize_t item = a.itemsize();
  const bool rows_unit = a.ndim() == 2 && a.strides(1) == item && a.strides(0) % item == 0 && a.strides(0) >= 0;
  const bool vector_ok = a.ndim() == 1 && a.strides(0) % item == 0 && a.strides(0) > 0;
  if (!(f32 || f64) || !(rows_unit || vector_ok)) {
    a = obj.cast<Array>();  // other dtypes and layouts: a compact float64 copy, as the engine took them before
  }
  if (a.ndim() != ndim)
    throw amf::InvalidArgument(std::string(name) + " must be a " + std::to_string(ndim) + "-D array (" + meaning +
                               "), got shape " + shape_of(a));
  objects_.push_back(a);
  const bool single = a.dtype().is(py::dtype::of<float>());
  const amf::ElementType type = single ? amf::ElementType::Float32 : amf::ElementType::Float64;
  const std::int64_t rows = a.shape(0), cols = ndim == 2 ? a.shape(1) : 1;
  const std::int64_t stride = a.strides(0) / a.itemsize();
  return amf::ArrayView(a.data(), rows, cols, stride, type, amf::MemorySpace::Host, -1);
}

amf::ArrayView HeldArrays::from_dlpack(const py::handle& obj, const char* name, const char* meaning, int ndim) {
  const std::string what = std::string(name) + " (" + meaning + ")";
  py::object capsule = obj.attr("__dlpack__")();
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  if (!managed) {
    PyErr_Clear();
    throw amf::InvalidArgument(what + ": __dlpack__ did not return a DLPack tensor capsule");
  }
  // Ours now: the capsule must not run the deleter too.
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");
  tensors_.push_back(managed);
  const DLTensor& t = managed->dl_tensor;
  if (t.ndim != ndim)
    throw amf::InvalidArgument(what + " must be " + std::to_string(ndim) + "-D, got shape " + dims(t.ndim, t.shape));
  if (t.dtype.code != kDLFloat || t.dtype.lanes != 1 || (t.dtype.bits != 32 && t.dtype.bits != 64))
    throw amf::InvalidArgument(what + " must hold float32 or float64 values, got DLPack type code " +
                               std::to_string(t.dtype.code) + " with " + std::to_string(t.dtype.bits) +
                               " bits (convert it, e.g. tensor.float())");
  const std::int64_t rows = t.shape[0], cols = ndim == 2 ? t.shape[1] : 1;
  std::int64_t stride = ndim == 2 ? cols : 1;
  if (t.strides) {
    if (ndim == 2 && t.strides[1] != 1 && cols > 1)
      throw amf::InvalidArgument(what + ": its rows are not contiguous (strides " + dims(2, t.strides) +
                                 "); pass tensor.contiguous()");
    stride = t.strides[0];
  }
  if (ndim == 1 && stride != 1 && rows > 1)
    throw amf::InvalidArgument(what + ": a strided vector (stride " + std::to_string(stride) +
                               "); pass tensor.contiguous()");
  const auto type = t.dtype.bits == 32 ? amf::ElementType::Float32 : amf::ElementType::Float64;
  const void* data = static_cast<const char*>(t.data) + t.byte_offset;
  switch (t.device.device_type) {
    case kDLCPU:
    case kDLCUDAHost:
      return amf::ArrayView(data, rows, cols, stride, type, amf::MemorySpace::Host, -1);
    case kDLCUDA:
    case kDLCUDAManaged:
      return amf::ArrayView(data, rows, cols, stride, type, amf::MemorySpace::Cuda, t.device.device_id);
    default:
      throw amf::InvalidArgument(what + " lives on a device amf cannot read (DLPack device type " +
                                 std::to_string(t.device.device_type) + "); pass a CPU or CUDA tensor");
  }
}

}  // namespace amf_py
