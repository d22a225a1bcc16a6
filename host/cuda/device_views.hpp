#pragma once
// The CUDA side of amf::ArrayView (array_view.hpp): copying a device view to host float64, and
// asking the runtime where a pointer lives. Built from device_views.cpp with CUDA, and from
// device_views_stub.cpp without it (where both say CUDA is absent).
#include <cstdint>

#include "amf/array_view.hpp"

namespace amf {
namespace detail {

// view (MemorySpace::Cuda) -> dest, rows x cols compact float64. amf::Error naming `what` when
// the runtime refuses (no CUDA in this build, no device, a pointer that is not device memory).
void copy_cuda_view_to_host(const ArrayView& view, double* dest, const char* what);

// The device whose memory `pointer` is, -1 for host memory the runtime does not know (pageable),
// -2 when the runtime cannot say (no CUDA in this build, no device visible).
int device_of_pointer(const void* pointer);

}  // namespace detail
}  // namespace amf
