// Input validation for the criterion: every check names the field, and the index or shape, so
// a caller can find the problem without reading amf's source.
#include <cmath>
#include <sstream>
#include <string>

#include "amf/error.hpp"
#include "amf/problem.hpp"
#include "core/validate_common.hpp"

namespace amf {
namespace {

const char* const kPrefix = "amf criterion";

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument(std::string(kPrefix) + ": " + msg); }

std::string shape(std::int64_t r, std::int64_t c) {
  return "(" + std::to_string(r) + " x " + std::to_string(c) + ")";
}

void check_matrix(const MatrixView<double>& m, const char* field, std::int64_t rows,
                  std::int64_t cols) {
  if (m.rows != rows || m.cols != cols)
    fail(std::string(field) + " has shape " + shape(m.rows, m.cols) + ", expected " +
         shape(rows, cols));
  if (m.rows > 0 && m.cols > 0 && m.data == nullptr) fail(std::string(field) + " is a null pointer");
  if (m.row_stride < m.cols) fail(std::string(field) + " has row_stride < cols");
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t c = 0; c < m.cols; ++c)
      if (!std::isfinite(m(r, c))) {
        std::ostringstream os;
        os << field << "[" << r << "][" << c << "] is " << m(r, c) << " (must be finite)";
        fail(os.str());
      }
}

void check_positive(double v, const char* field) {
  if (!(std::isfinite(v) && v > 0)) {
    std::ostringstream os;
    os << field << " = " << v << " (must be a finite number > 0)";
    fail(os.str());
  }
}

}  // namespace

void validate(const CriterionProblem& p, bool for_batch_selection) {
  check_positive(p.kernel.state_lengthscale, "kernel.state_lengthscale");
  check_positive(p.kernel.task_lengthscale, "kernel.task_lengthscale");
  check_positive(p.kernel.signal_variance, "kernel.signal_variance");
  detail::check_selection_settings(kPrefix, p.noise_variance, p.clip, p.min_weight, p.batch_size, for_batch_selection);
  const std::int64_t R = detail::check_traj_offsets(kPrefix, p.traj_offsets);
  const std::int64_t n = p.pool_states.rows;
  if (p.traj_offsets[R] != n)
    fail("traj_offsets ends at " + std::to_string(p.traj_offsets[R]) + " but pool_states has " +
         std::to_string(n) + " rows");

  const std::int64_t ds = p.pool_states.cols, da = p.pool_actions.cols, dc = p.pool_tasks.cols;
  if (ds < 1) fail("pool_states has 0 columns (state dimension must be >= 1)");
  if (da < 1) fail("pool_actions has 0 columns (action dimension must be >= 1)");
  if (dc < 1) fail("pool_tasks has 0 columns (task dimension must be >= 1)");
  check_matrix(p.pool_states, "pool_states", n, ds);
  check_matrix(p.pool_actions, "pool_actions", n, da);
  check_matrix(p.pool_tasks, "pool_tasks", R, dc);

  if (p.candidates.rows == 0) fail("the candidate set is empty (candidates has 0 rows)");
  check_matrix(p.candidates, "candidates", p.candidates.rows, dc);
  if (p.targets.rows == 0) fail("the target set is empty (targets has 0 rows)");
  check_matrix(p.targets, "targets", p.targets.rows, dc);

  detail::check_target_probs(kPrefix, p.target_probs, p.targets.rows);
}

}  // namespace amf
