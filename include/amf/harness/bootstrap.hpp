#pragma once
// Mean and simple (percentile) bootstrap confidence interval over seeds, as the paper reports.
#include <cstdint>
#include <vector>

namespace amf {

struct MeanCI {
  double mean = 0, lo = 0, hi = 0;
};

// Percentile bootstrap of the mean of `values` (resampled with replacement), deterministic for
// a seed. One value gives a zero-width interval; no values throws amf::InvalidArgument.
MeanCI bootstrap_mean_ci(const std::vector<double>& values, double confidence, int resamples,
                         std::uint64_t seed);

}  // namespace amf
