#pragma once
// The pool of a CriterionProblem gathered into contiguous Eigen matrices, plus the relabelling
// of a trajectory's states with another task (the X_i(c) of DESIGN.md section 1).
#include <cstdint>
#include <vector>

#include "amf/problem.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

struct PoolData {
  int state_dim = 0;
  int action_dim = 0;
  int task_dim = 0;
  RowMatrix X;  // n x (ds + dc): (s_it, c_i)
  RowMatrix Y;  // n x da: a_it
  std::vector<std::int64_t> offsets;

  std::int64_t num_trajectories() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
  std::int64_t steps(std::int64_t i) const { return offsets[i + 1] - offsets[i]; }
};

PoolData gather_pool(const CriterionProblem& problem);

// Writes trajectory i's states relabelled with `task` into rows [row0, row0 + T_i) of out.
void relabel_trajectory(const PoolData& pool, std::int64_t i, const double* task, RowMatrix& out,
                        std::int64_t row0);

}  // namespace detail
}  // namespace amf
