// The AMF-GP criterion on the CPU (DESIGN.md section 1): importance weights, target occupancy,
// one criterion pass per greedy pick, each pick conditioning the next pass on its
// pseudo-demonstration through a block-Cholesky extension.
#include "cpu/cpu_backend.hpp"

#include <algorithm>

#include "cpu/criterion_pass.hpp"
#include "cpu/feature_criterion.hpp"
#include "cpu/importance_weights.hpp"
#include "cpu/pool_data.hpp"
#include "cpu/target_occupancy.hpp"

namespace amf {

CriterionResult CpuBackend::run(const CriterionProblem& p, bool select) {
  using namespace detail;
  const PoolData pool = gather_pool(p);
  const RbfKernel kernel(p.kernel, pool.state_dim, pool.task_dim);
  const GpPosterior gp(kernel, p.noise_variance, pool.X, pool.Y);

  const ImportanceWeights weights_of(gp, pool, p, threads_);
  const RowMatrix cand_w = weights_of(p.candidates);
  const RowMatrix target_w = weights_of(p.targets);
  const TargetOccupancy targets = target_occupancy(pool, p, target_w);

  CriterionResult result;
  result.num_target_points = targets.points.rows();
  result.weights.assign(cand_w.data(), cand_w.data() + cand_w.size());

  ConditioningState state = gp.state();
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    PassScores scores = criterion_pass(state, pool, p.candidates, cand_w, targets, p.min_weight, threads_);
    if (b == 0) {
      result.J = scores.J;
      result.info_gain = std::move(scores.info_gain);
    }
    if (!select) break;
    const auto best = std::min_element(scores.J.begin(), scores.J.end()) - scores.J.begin();
    const double* w = cand_w.row(best).data();
    const auto pseudo = std::max_element(w, w + cand_w.cols()) - w;
    result.batch.push_back(best);
    result.batch_J.push_back(scores.J[best]);
    result.pseudo_demo_trajectory.push_back(pseudo);
    if (b + 1 < picks) {
      RowMatrix X(pool.steps(pseudo), pool.X.cols());
      relabel_trajectory(pool, pseudo, p.candidates.row(best), X, 0);
      state.extend(X);
    }
  }
  return result;
}

CriterionResult CpuBackend::run(const FeatureCriterionProblem& p, bool select) {
  return detail::feature_criterion_cpu(p, select, threads_);
}

}  // namespace amf
