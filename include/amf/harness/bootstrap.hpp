#pragma once
// Mean and confidence interval over seeds. Two kinds: Student-t (the default) and the percentile
// bootstrap (what the paper reports). With the few seeds a study affords the percentile bootstrap
// is too narrow: over 4 normal seeds its nominal 90 % interval covers the mean about 74 % of the
// time (84 % at 10; tests/test_intervals.cpp measures both), because resampling n values
// underestimates the spread by sqrt((n - 1) / n) and ignores the uncertainty of the estimated
// spread. The t interval is exact for normal data and close for the bounded returns here.
#include <cstdint>
#include <string>
#include <vector>

namespace amf {

struct MeanCI {
  double mean = 0, lo = 0, hi = 0;
};

enum class IntervalKind { StudentT, Bootstrap };

// "t" or "bootstrap"; amf::InvalidArgument otherwise.
IntervalKind parse_interval_kind(const std::string& name);
std::string interval_name(IntervalKind kind);  // "t" or "bootstrap"

// mean +- t_{(1 + confidence) / 2, n - 1} s / sqrt(n). One value gives a zero-width interval; no
// values throws amf::InvalidArgument.
MeanCI student_t_mean_ci(const std::vector<double>& values, double confidence);

// Percentile bootstrap of the mean of `values` (resampled with replacement), deterministic for
// a seed. One value gives a zero-width interval; no values throws amf::InvalidArgument.
MeanCI bootstrap_mean_ci(const std::vector<double>& values, double confidence, int resamples,
                         std::uint64_t seed);

// The studies' one entry: the interval of the configured kind (resamples and seed are the
// bootstrap's and ignored by the t interval).
MeanCI mean_ci(const std::vector<double>& values, double confidence, IntervalKind kind, int resamples,
               std::uint64_t seed);

// The p-quantile of Student's t with `dof` degrees of freedom (p in (0, 1), dof >= 1), to about
// 1e-12 relative.
double student_t_quantile(double p, double dof);

}  // namespace amf
