#pragma once
// The thread count every CPU benchmark gives both sides: AMF_BENCH_THREADS, default one per core
// (Debian's LibTorch otherwise starts its intra-op pool with 1 thread on this VM).
#include <algorithm>
#include <cstdlib>
#include <thread>

namespace amf_bench {

inline int bench_threads() {
  const char* t = std::getenv("AMF_BENCH_THREADS");
  const int n = t ? std::atoi(t) : 0;
  return n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace amf_bench
