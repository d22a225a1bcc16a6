#pragma once
// Demonstrations in memory: trajectories of (state, action) pairs, each demonstrated for a task.
#include <cstdint>
#include <vector>

#include "amf/problem.hpp"

namespace amf {

struct Trajectory {
  std::vector<double> task;     // dc
  std::vector<double> states;   // steps x ds, row-major
  std::vector<double> actions;  // steps x da, row-major
};

class Dataset {
 public:
  Dataset(int state_dim, int action_dim, int task_dim);

  // Checks the shapes against the dataset's dimensions (amf::InvalidArgument otherwise).
  void add(Trajectory trajectory);

  int state_dim() const { return state_dim_; }
  int action_dim() const { return action_dim_; }
  int task_dim() const { return task_dim_; }
  std::int64_t size() const { return static_cast<std::int64_t>(trajectories_.size()); }
  std::int64_t total_steps() const;
  const Trajectory& operator[](std::int64_t i) const { return trajectories_[i]; }
  const std::vector<Trajectory>& trajectories() const { return trajectories_; }

 private:
  int state_dim_, action_dim_, task_dim_;
  std::vector<Trajectory> trajectories_;
};

// The pool arrays of a CriterionProblem, flattened from a Dataset. attach() points the pool
// views of `problem` at this object's memory, so it must outlive the problem's use.
class PoolArrays {
 public:
  explicit PoolArrays(const Dataset& dataset);
  void attach(CriterionProblem& problem) const;

 private:
  int state_dim_, action_dim_, task_dim_;
  std::vector<double> states_, actions_, tasks_;
  std::vector<std::int64_t> offsets_;
};

}  // namespace amf
