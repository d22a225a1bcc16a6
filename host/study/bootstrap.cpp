#include "amf/harness/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "amf/error.hpp"

namespace amf {

MeanCI bootstrap_mean_ci(const std::vector<double>& values, double confidence, int resamples,
                         std::uint64_t seed) {
  if (values.empty()) throw InvalidArgument("bootstrap_mean_ci: no values");
  if (!(confidence > 0 && confidence < 1)) throw InvalidArgument("bootstrap_mean_ci: confidence must be in (0, 1)");
  if (resamples < 1) throw InvalidArgument("bootstrap_mean_ci: resamples must be >= 1");
  const std::size_t n = values.size();
  MeanCI out;
  out.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<double> means(resamples);
  for (double& m : means) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += values[pick(rng)];
    m = s / n;
  }
  std::sort(means.begin(), means.end());
  const double tail = (1 - confidence) / 2;
  auto quantile = [&](double q) {
    const double pos = q * (resamples - 1);
    const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min<std::size_t>(lo + 1, resamples - 1);
    return means[lo] + (pos - lo) * (means[hi] - means[lo]);
  };
  out.lo = quantile(tail);
  out.hi = quantile(1 - tail);
  return out;
}

IntervalKind parse_interval_kind(const std::string& name) {
  if (name == "t") return IntervalKind::StudentT;
  if (name == "bootstrap") return IntervalKind::Bootstrap;
  throw InvalidArgument("interval '" + name + "' is unknown (choose t or bootstrap)");
}

std::string interval_name(IntervalKind kind) { return kind == IntervalKind::StudentT ? "t" : "bootstrap"; }

MeanCI student_t_mean_ci(const std::vector<double>& values, double confidence) {
  if (values.empty()) throw InvalidArgument("student_t_mean_ci: no values");
  if (!(confidence > 0 && confidence < 1)) throw InvalidArgument("student_t_mean_ci: confidence must be in (0, 1)");
  const double n = static_cast<double>(values.size());
  MeanCI out;
  out.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  out.lo = out.hi = out.mean;
  if (values.size() < 2) return out;
  double ss = 0;
  for (double v : values) ss += (v - out.mean) * (v - out.mean);
  const double half = student_t_quantile(0.5 + confidence / 2, n - 1) * std::sqrt(ss / (n - 1) / n);
  out.lo = out.mean - half;
  out.hi = out.mean + half;
  return out;
}

MeanCI mean_ci(const std::vector<double>& values, double confidence, IntervalKind kind, int resamples,
               std::uint64_t seed) {
  return kind == IntervalKind::StudentT ? student_t_mean_ci(values, confidence)
                                        : bootstrap_mean_ci(values, confidence, resamples, seed);
}

}  // namespace amf
