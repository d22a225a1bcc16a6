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

}  // namespace amf
