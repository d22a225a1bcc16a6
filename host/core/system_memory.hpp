#pragma once
// The machine's physical memory, for the checks that refuse work which cannot fit (a file's
// declared datasets, a batch's conditioning factor) and for the default cache budget. Header-only
// so that the fuzz builds, which compile single sources, need nothing more.
#include <unistd.h>

#include <cstdio>

namespace amf {
namespace detail {

// Bytes of physical memory, or 0 when the system does not say.
inline double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

// Bytes the kernel estimates can still be allocated without swapping (Linux's MemAvailable,
// /proc/meminfo), or 0 when it does not say.
inline double available_memory_bytes() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0.0;
  char line[256];
  double bytes = 0.0;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long kib = 0;
    if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
      bytes = static_cast<double>(kib) * 1024.0;
      break;
    }
  }
  std::fclose(f);
  return bytes;
}

}  // namespace detail
}  // namespace amf
