#include "amf/dataset.hpp"

#include <string>

#include "amf/error.hpp"

namespace amf {

Dataset::Dataset(int state_dim, int action_dim, int task_dim)
    : state_dim_(state_dim), action_dim_(action_dim), task_dim_(task_dim) {
  if (state_dim < 1 || action_dim < 1 || task_dim < 1)
    throw InvalidArgument("Dataset: state, action and task dimensions must be >= 1");
}

void Dataset::add(Trajectory t) {
  const std::string which = "Dataset::add: trajectory " + std::to_string(trajectories_.size());
  if (static_cast<int>(t.task.size()) != task_dim_)
    throw InvalidArgument(which + " has a task of size " + std::to_string(t.task.size()) +
                          ", expected " + std::to_string(task_dim_));
  if (t.states.empty()) throw InvalidArgument(which + " has no steps (horizon 0)");
  if (t.states.size() % state_dim_ != 0)
    throw InvalidArgument(which + ": states size " + std::to_string(t.states.size()) +
                          " is not a multiple of the state dimension " + std::to_string(state_dim_));
  const std::size_t steps = t.states.size() / state_dim_;
  if (t.actions.size() != steps * action_dim_)
    throw InvalidArgument(which + ": actions size " + std::to_string(t.actions.size()) +
                          " does not match " + std::to_string(steps) + " steps x action dimension " +
                          std::to_string(action_dim_));
  trajectories_.push_back(std::move(t));
}

std::int64_t Dataset::total_steps() const {
  std::int64_t n = 0;
  for (const auto& t : trajectories_) n += static_cast<std::int64_t>(t.states.size()) / state_dim_;
  return n;
}

PoolArrays::PoolArrays(const Dataset& d)
    : state_dim_(d.state_dim()), action_dim_(d.action_dim()), task_dim_(d.task_dim()) {
  offsets_.push_back(0);
  for (const auto& t : d.trajectories()) {
    states_.insert(states_.end(), t.states.begin(), t.states.end());
    actions_.insert(actions_.end(), t.actions.begin(), t.actions.end());
    tasks_.insert(tasks_.end(), t.task.begin(), t.task.end());
    offsets_.push_back(offsets_.back() + static_cast<std::int64_t>(t.states.size()) / state_dim_);
  }
}

void PoolArrays::attach(CriterionProblem& p) const {
  const std::int64_t n = offsets_.back();
  const std::int64_t R = static_cast<std::int64_t>(offsets_.size()) - 1;
  p.pool_states = MatrixView<double>(states_.data(), n, state_dim_);
  p.pool_actions = MatrixView<double>(actions_.data(), n, action_dim_);
  p.pool_tasks = MatrixView<double>(tasks_.data(), R, task_dim_);
  p.traj_offsets = VectorView<std::int64_t>(offsets_);
}

}  // namespace amf
