#pragma once
// Incremental conditioning for a CPU selection session (both criteria).
//
// A greedy step changes every candidate's score only through a low-rank correction: conditioning
// on a pick P (T_P points) turns the posterior covariances of a kept pair's steps X into
//   k'(X, X) = k(X, X) - v^T v,   k'(X, Z) = k(X, Z) - v^T W,   v(z | .) -= |W_z|^2,
// with W = the pick's rows of the targets' projection and v = Ck^-1 (k(P, X) - Bt V_X) its rows
// of X's projection, where [Bt Ck] are the pick's new rows of the picks' Cholesky factor and
// V_X the rows earlier picks added (DESIGN.md section 1). So the session keeps, from the first
// pass, every kept pair's cross-covariance with the targets (T x M) and its conditional Gram
// (T x T), and a pick costs one rank-T_P GEMM over all of them instead of a full pass; a pass
// after a pick only factors each T x T Gram and solves against the kept block.
//
// Steps of all kept pairs are stacked as rows (pair q owns rows [first_row, first_row + steps)),
// so the correction is a few GEMMs over row groups, in parallel. Scores are summed per pair then
// per candidate in pair order: the same bits for any thread count.
//
// A pair may keep only a range of target columns, [col0, col0 + cols), when its cross-covariance
// is zero outside it at every step (AMF-NN with feature groups: the target points are ordered by
// group, and a pair's kernel to other groups' points is 0 before and after any pick). Its sums
// over the other points are then those of nothing explained, summed from the prior variances
// alone; with 50 groups that keeps about 1/50 of the blocks.
#include <Eigen/Dense>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "amf/criterion.hpp"
#include "amf/session.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// k_base(rows [row0, row0 + count) of the stacked steps, the pick's points) into out (count x T_P):
// the covariance under the session's fixed conditioning (the pool for AMF-GP, nothing for
// AMF-NN) before any pick. Called from several threads at once.
using BaseCrossCovariance = std::function<void(Eigen::Index row0, Eigen::Index count, Eigen::MatrixXd& out)>;

class CrossCovarianceCache {
 public:
  struct Pair {
    std::int64_t candidate;  // index into the whole problem
    std::int64_t trajectory;
    double weight;           // w_i(c)
    Eigen::Index first_row;  // of the stacked steps
    Eigen::Index steps;
    std::int64_t gram_offset;   // into the packed T x T Grams
    std::int64_t cross_offset;  // into the packed T x cols cross-covariances
    Eigen::Index col0, cols;    // the target columns kept
  };
  using Columns = std::pair<Eigen::Index, Eigen::Index>;  // first target column, count

  // pairs: the kept pairs in candidate order; steps[q]: pair q's trajectory length; M targets;
  // columns[q]: pair q's kept target columns (empty: all M for every pair).
  CrossCovarianceCache(const std::vector<CandidatePair>& pairs, const std::vector<Eigen::Index>& steps,
                       Eigen::Index M, const std::vector<Columns>& columns = {});

  // Bytes the first pass's blocks take (cross-covariances and Grams), before any pick; columns
  // as for the constructor.
  static std::int64_t first_pass_bytes(const std::vector<Eigen::Index>& steps, Eigen::Index M,
                                       const std::vector<Columns>& columns = {});
  // The longest prefix of the kept pairs (steps[q] each, in order) whose first pass's blocks fit
  // `budget` together with row_bytes more per stacked step (what a session keeps beside the blocks,
  // and room for the rows that the picks it expects will add).
  static std::size_t pairs_within(const std::vector<Eigen::Index>& steps, Eigen::Index M,
                                  const std::vector<Columns>& columns, std::int64_t row_bytes, std::int64_t budget);
  // Bytes held after conditioning on a pick of pick_steps more points.
  std::int64_t bytes_after_pick(Eigen::Index pick_steps) const;
  std::int64_t bytes() const { return bytes_after_pick(0); }

  // Drops the blocks of every pair from the kept-th on (the caller recomputes those pairs from
  // then on), releasing their memory.
  void keep_first(std::size_t kept);
  // How many of the first pairs can stay after a pick of pick_steps more points within budget
  // (other_row_bytes more per stacked step being kept beside the blocks).
  std::size_t pairs_fitting_after_pick(Eigen::Index pick_steps, std::int64_t other_row_bytes,
                                       std::int64_t budget) const;
  std::size_t size() const { return pairs_.size(); }
  Eigen::Index rows() const { return V_.rows(); }

  Eigen::Index pick_points() const { return V_.cols(); }  // m: points of the picks conditioned on so far
  const Pair& pair(std::size_t q) const { return pairs_[q]; }

  // Filled by the first pass: k_D(X, Z) of pair q on its kept target columns (steps x cols,
  // row-major) and k_D(X, X) without the noise (steps x steps).
  Eigen::Map<RowMatrix> cross(std::size_t q) {
    return Eigen::Map<RowMatrix>(C_.data() + pairs_[q].cross_offset, pairs_[q].steps, pairs_[q].cols);
  }
  Eigen::Map<RowMatrix> gram(std::size_t q) {
    return Eigen::Map<RowMatrix>(G_.data() + pairs_[q].gram_offset, pairs_[q].steps, pairs_[q].steps);
  }

  // The kept pair (candidate, trajectory), if it is one.
  std::optional<std::size_t> find(std::int64_t candidate, std::int64_t trajectory) const;
  // Pair q's current blocks as one array, what conditioning on it as a pick needs: its Gram
  // (steps x steps), its cross-covariance with all M targets (steps x M, zero outside its kept
  // columns) and its rows for the earlier picks (steps x m), each row-major.
  std::vector<double> pair_blocks(std::size_t q) const;
  // Conditions every kept block on one more pick: Bt (T_P x m) and Ck (T_P x T_P, lower) are its
  // rows of the picks' factor (m = pick points before it), W (T_P x M) its rows of the targets'
  // projection.
  void condition(const Eigen::MatrixXd& Bt, const Eigen::MatrixXd& Ck, const RowMatrix& W,
                 const BaseCrossCovariance& base_cross, int threads);

  // J and the information gain of the range's candidates (indexed from first_candidate) under the
  // current conditioning: prior = v(z | D, picks), omega the target weights. info_gain stays empty
  // unless with_gain.
  PassScores score(const Eigen::VectorXd& prior, const std::vector<double>& omega, double floor, double noise,
                   std::int64_t first_candidate, std::int64_t range_size, std::atomic<int>& jittered,
                   int threads, bool with_gain) const;

 private:
  std::vector<Pair> pairs_;
  std::vector<std::pair<std::size_t, std::size_t>> groups_;  // pair ranges of about kGroupRows rows
  Eigen::Index M_;
  std::vector<double> C_;  // the pairs' steps x cols blocks, packed
  Eigen::MatrixXd V_;      // rows x (pick points so far): the picks' rows of each step's projection
  std::vector<double> G_;
};

// The session's memory budget for the cache in bytes: the option when >= 0 (0 turns incremental
// conditioning off), when negative (the default) the smaller of a quarter of the physical memory
// and half of the memory still available when the session opens.
std::int64_t resolve_session_budget(std::int64_t option_bytes);
// The default from the machine's physical memory and what is available now (bytes; 0: unknown).
std::int64_t default_session_budget(double physical, double available);

// Whether a session keeps the blocks of the first `kept` of its `pairs` kept pairs
// (CrossCovarianceCache::pairs_within; kept_bytes, of all_bytes for all of them) and recomputes
// the others every pass; false when it keeps none. Says which in the log.
bool cache_keeps_pairs(std::size_t kept, std::size_t pairs, std::int64_t kept_bytes, std::int64_t all_bytes,
                       std::int64_t budget, const char* criterion);
// Before a pick that would take the kept blocks over `budget` (to `bytes`): says in the log whether
// the session keeps those of `kept` of its `before` pairs (CrossCovarianceCache::
// pairs_fitting_after_pick) or none; false when none.
bool cache_keeps_pairs_after_pick(std::size_t kept, std::size_t before, std::int64_t bytes, std::int64_t budget,
                                  const char* criterion);

}  // namespace detail
}  // namespace amf
