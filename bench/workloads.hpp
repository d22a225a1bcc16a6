#pragma once
// Benchmark workloads: AMF-GP problems built from noisy integrator demonstrations, sized by
// (candidates N, pool trajectories R, horizon T, targets K).
#include <random>

#include "problem_fixture.hpp"

namespace amf_bench {

inline amf_test::OwnedProblem gp_workload(int N, int R, int T, int K, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> angle(0.0, 6.283185307179586);
  std::vector<double> demos(R), candidates(N);
  for (double& a : demos) a = angle(rng);
  for (double& a : candidates) a = angle(rng);
  amf_test::OwnedProblem op(demos, candidates, amf_test::evenly_spaced(K), T);
  op.problem.kernel = {0.5, 0.5, 0.1};
  op.problem.noise_variance = 0.0025;
  return op;
}

// Peak resident memory of this process since the last reset, in MiB (Linux VmHWM).
double peak_rss_mib();
void reset_peak_rss();

}  // namespace amf_bench
