// Built without CUDA: a CUDA view cannot be read, and no pointer can be asked about.
#include <string>

#include "amf/error.hpp"
#include "cuda/device_views.hpp"

namespace amf {
namespace detail {

void copy_cuda_view_to_host(const ArrayView& view, double*, const char* what) {
  throw Error(std::string(what) + " is a CUDA view (" + view.describe() +
              ") but this build of amf has no CUDA: pass host arrays, or use a build with CUDA");
}

int device_of_pointer(const void*) { return -2; }

}  // namespace detail
}  // namespace amf
