#pragma once
// The state of one AMF-GP selection on the CPU, for a range of the candidates (all of them, or
// one MPI rank's shard): the GP on the pool, importance weights, target occupancy and the
// conditioning state that greedy picks grow. The first pass's cross-covariances of as many
// (candidate, trajectory) pairs as fit the session's memory budget are kept, and picks update them
// (cross_covariance_cache.hpp); the other pairs are recomputed at every pass.
#include <memory>

#include "amf/problem.hpp"
#include "amf/session.hpp"
#include "cpu/criterion_pass.hpp"
#include "cpu/cross_covariance_cache.hpp"
#include "prep/pool_data.hpp"
#include "prep/target_occupancy.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

class GpSelectionSession final : public SelectionSession {
 public:
  // cache_budget: bytes the kept cross-covariances may take (0: recompute every pass).
  GpSelectionSession(const CriterionProblem& problem, CandidateRange range, int threads, std::int64_t cache_budget);

  MatrixView<double> weights() const override {
    return MatrixView<double>(cand_w_.data(), cand_w_.rows(), cand_w_.cols());
  }
  std::int64_t num_target_points() const override { return targets_.points.rows(); }
  PassScores score_pass(bool with_info_gain) override;
  // Condition on a pick: pool trajectory `trajectory` relabelled with the candidate's task
  // (rank-T extension of the conditioning factor and of the targets' block, and of the cache).
  void condition_pick(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& blocks) override;

  bool incremental() const override { return cache_ != nullptr; }
  std::int64_t kept_bytes() const override;

 private:
  void build_cache();
  void keep_fewer_pairs(Eigen::Index added);
  std::int64_t side_bytes() const;      // what the cache needs beside its blocks: the steps and projections
  std::int64_t side_row_bytes() const;  // the same per kept step
  void condition_cache(Eigen::Index old_size, Eigen::Index added);

  const CriterionProblem& problem_;
  MatrixView<double> candidates_;  // the range's rows
  int threads_;
  std::int64_t cache_budget_;
  PoolData pool_;
  std::unique_ptr<GpPosterior> gp_;
  RowMatrix cand_w_;
  TargetOccupancy targets_;
  std::unique_ptr<ConditioningState> state_;
  std::unique_ptr<TargetBlock> block_;
  bool picked_ = false;                          // conditioned on a pick yet
  bool cache_decided_ = false;                   // the first pass has chosen cache or recompute
  std::unique_ptr<CrossCovarianceCache> cache_;  // null: recompute every pass
  RowMatrix cached_points_;                      // the cached pairs' relabelled steps, stacked
  RowMatrix cached_projection_;                  // and their projections U_X^T through the pool's factor
  std::vector<CandidatePair> recomputed_pairs_;  // with a cache: the pairs whose blocks it does not keep
};

}  // namespace detail
}  // namespace amf
