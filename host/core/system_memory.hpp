#pragma once
// The machine's physical memory, for the checks that refuse work which cannot fit (a file's
// declared datasets, a batch's conditioning factor) and for the default cache budget. Header-only
// so that the fuzz builds, which compile single sources, need nothing more.
#include <unistd.h>

namespace amf {
namespace detail {

// Bytes of physical memory, or 0 when the system does not say.
inline double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

}  // namespace detail
}  // namespace amf
