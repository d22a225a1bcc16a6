#include "prep/pool_data.hpp"

namespace amf {
namespace detail {

PoolData gather_pool(const CriterionProblem& p) {
  PoolData pool;
  pool.state_dim = static_cast<int>(p.state_dim());
  pool.action_dim = static_cast<int>(p.action_dim());
  pool.task_dim = static_cast<int>(p.task_dim());
  const std::int64_t n = p.pool_states.rows;
  const std::int64_t R = p.num_trajectories();
  pool.offsets.assign(p.traj_offsets.data, p.traj_offsets.data + R + 1);
  pool.X.resize(n, pool.state_dim + pool.task_dim);
  pool.Y.resize(n, pool.action_dim);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t r = pool.offsets[i]; r < pool.offsets[i + 1]; ++r) {
      for (int d = 0; d < pool.state_dim; ++d) pool.X(r, d) = p.pool_states(r, d);
      for (int d = 0; d < pool.task_dim; ++d) pool.X(r, pool.state_dim + d) = p.pool_tasks(i, d);
      for (int d = 0; d < pool.action_dim; ++d) pool.Y(r, d) = p.pool_actions(r, d);
    }
  return pool;
}

void relabel_trajectory(const PoolData& pool, std::int64_t i, const double* task, RowMatrix& out,
                        std::int64_t row0) {
  const int ds = pool.state_dim;
  for (std::int64_t r = pool.offsets[i]; r < pool.offsets[i + 1]; ++r, ++row0) {
    for (int d = 0; d < ds; ++d) out(row0, d) = pool.X(r, d);
    for (int d = 0; d < pool.task_dim; ++d) out(row0, ds + d) = task[d];
  }
}

}  // namespace detail
}  // namespace amf
