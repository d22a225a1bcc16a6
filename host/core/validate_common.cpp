#include "core/validate_common.hpp"

#include <cmath>
#include <sstream>

#include "amf/error.hpp"

namespace amf {
namespace detail {
namespace {

[[noreturn]] void fail(const std::string& prefix, const std::string& msg) { throw InvalidArgument(prefix + ": " + msg); }

}  // namespace

void check_selection_settings(const std::string& prefix, double noise_variance, const LogProbClip& clip,
                              double min_weight, int batch_size, bool for_batch_selection) {
  if (!(std::isfinite(noise_variance) && noise_variance > 0)) {
    std::ostringstream os;
    os << "noise_variance = " << noise_variance << " (must be a finite number > 0)";
    fail(prefix, os.str());
  }
  if (!(std::isfinite(clip.lo) && std::isfinite(clip.hi) && clip.lo < clip.hi)) {
    std::ostringstream os;
    os << "clip = [" << clip.lo << ", " << clip.hi << "] (need finite lo < hi)";
    fail(prefix, os.str());
  }
  if (!(min_weight >= 0 && min_weight < 1))
    fail(prefix, "min_weight = " + std::to_string(min_weight) + " (must be in [0, 1))");
  if (for_batch_selection && batch_size < 1)
    fail(prefix, "batch_size = " + std::to_string(batch_size) + " (must be >= 1)");
}

std::int64_t check_traj_offsets(const std::string& prefix, const VectorView<std::int64_t>& offsets) {
  if (offsets.size < 2) fail(prefix, "the pool is empty: traj_offsets needs at least 2 entries");
  if (offsets.data == nullptr) fail(prefix, "traj_offsets is a null pointer");
  const std::int64_t R = offsets.size - 1;
  if (offsets[0] != 0) fail(prefix, "traj_offsets[0] must be 0");
  for (std::int64_t i = 0; i < R; ++i)
    if (offsets[i + 1] <= offsets[i])
      fail(prefix, "trajectory " + std::to_string(i) + " has " + std::to_string(offsets[i + 1] - offsets[i]) +
                       " steps (horizon must be >= 1; traj_offsets must increase)");
  return R;
}

void check_target_probs(const std::string& prefix, const VectorView<double>& probs, std::int64_t K) {
  if (probs.size != K)
    fail(prefix, "target_probs has " + std::to_string(probs.size) + " entries, but there are " + std::to_string(K) +
                     " targets");
  double sum = 0;
  for (std::int64_t k = 0; k < K; ++k) {
    const double v = probs[k];
    if (!(std::isfinite(v) && v >= 0)) {
      std::ostringstream os;
      os << "target_probs[" << k << "] = " << v << " (must be finite and >= 0)";
      fail(prefix, os.str());
    }
    sum += v;
  }
  if (std::abs(sum - 1.0) > 1e-6) {
    std::ostringstream os;
    os << "target_probs sum to " << sum << " (must sum to 1)";
    fail(prefix, os.str());
  }
}

}  // namespace detail
}  // namespace amf
