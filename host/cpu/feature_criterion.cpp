// AMF-NN's criterion from caller-supplied log-probabilities and features: importance weights and
// target occupancy as for AMF-GP, k_D = the feature kernel conditioned on this batch's picks.
//
// Blocked like the CUDA kernel (DESIGN.md section 2): the kept (candidate, trajectory) pairs are
// taken in groups of about kGroupRows steps; per group the T x T Grams are factorised once, then
// the target points stream past in blocks of kTargetBlock, each block packed once for the whole
// group. A block's k(X, Z) tile is a few GEMMs with the Hadamard epilogue (packed_features.hpp),
// solved against each pair's factor and reduced to sum_z omega_z log v while it is in cache; no
// T x M block and no packed copy of all M target points is ever held. Threads take target
// blocks, and per-(pair, block) partial sums are added in a fixed order, so results do not
// depend on the thread count.
#include "cpu/feature_criterion.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <type_traits>

#include "amf/error.hpp"
#include "prep/feature_targets.hpp"
#include "cpu/packed_features.hpp"
#include "prep/parallel.hpp"
#include "cpu/score_pair.hpp"
#include "prep/target_occupancy.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

constexpr Eigen::Index kGroupRows = 512;    // candidate steps per group (rows of the k(X, Z) tile)
constexpr Eigen::Index kTargetBlock = 128;  // target points per tile (its columns)

using Tile = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

// Rows in the GEMM scalar S: a float32 copy, or the float64 rows themselves (no copy).
template <typename S>
class AsScalar {
 public:
  explicit AsScalar(const PackedRows<double>& rows) : rows_(rows) {
    if constexpr (!std::is_same_v<S, double>) copy_ = rows.template cast<S>();
  }
  const PackedRows<S>& get() const {
    if constexpr (std::is_same_v<S, double>) return rows_;
    else return copy_;
  }

 private:
  const PackedRows<double>& rows_;
  PackedRows<S> copy_;
};

// One worker's buffers for target blocks: the packed block, GEMM products and the k(X, Z_b) tile.
template <typename S>
struct BlockScratch {
  PackedRows<S> Zb;
  GramScratch<S> gram;
  RowMatrix C;
};

using Pair = CandidatePair;

// What one pass conditions on: this batch's picks X_p, with Lp Lp^T = k(X_p, X_p) + sigma^2 I and
// UZ = Lp^-1 k(X_p, Z), and the target variances given the picks.
struct Conditioning {
  PackedRows<double> points;
  Eigen::MatrixXd factor;
  RowMatrix UZ;
  Eigen::VectorXd prior;
  Eigen::Index size() const { return points.rows(); }
};

template <typename S>
class FeaturePass {
 public:
  FeaturePass(const FeatureCriterionProblem& p, const FeatureTargets& targets, const PackedLayout& layout,
              int threads)
      : p_(p), targets_(targets), layout_(layout), threads_(threads),
        M_(static_cast<Eigen::Index>(targets.rows.size())), blocks_((M_ + kTargetBlock - 1) / kTargetBlock) {}

  Conditioning condition(const std::vector<std::int64_t>& picked_rows) const {
    Conditioning cond;
    const auto m = static_cast<Eigen::Index>(picked_rows.size());
    if (m == 0) {
      cond.prior = targets_.prior;
      return cond;
    }
    pack_rows(p_.candidate_features, layout_, picked_rows.data(), m, cond.points);
    GramScratch<double> scratch;
    Eigen::MatrixXd Kpp(m, m);
    RowMatrix K(m, m);
    packed_gram(layout_, cond.points, 0, m, cond.points, 0, m, K.data(), m, scratch);
    Kpp = K;
    Kpp.diagonal().array() += p_.noise_variance;
    cond.factor = robust_cholesky(Kpp, "the conditioning Gram of this batch's picks");
    cond.UZ.resize(m, M_);
    const AsScalar<S> XpS(cond.points);
    parallel_for_with<BlockScratch<S>>(blocks_, threads_, [&](BlockScratch<S>& s, std::int64_t b) {
      const Eigen::Index z0 = b * kTargetBlock, mb = std::min(kTargetBlock, M_ - z0);
      pack_rows(p_.target_features, layout_, targets_.rows.data() + z0, mb, s.Zb);
      packed_gram(layout_, XpS.get(), 0, m, s.Zb, 0, mb, cond.UZ.data() + z0, M_, s.gram);
      Tile U(cond.UZ.data() + z0, m, mb, Eigen::OuterStride<>(M_));
      cond.factor.triangularView<Eigen::Lower>().solveInPlace(U);
    });
    cond.prior = targets_.prior - cond.UZ.colwise().squaredNorm().transpose();
    return cond;
  }

  // Adds every pair's w sum_z omega_z log v(z | X) to J[c] (and the information gain).
  // J and gain are indexed from candidate `first` (a session's range).
  void score(const std::vector<Pair>& pairs, std::int64_t first, const Conditioning& cond, std::vector<double>& J,
             std::vector<double>& gain, std::atomic<int>& jittered) const {
    for (std::size_t g0 = 0; g0 < pairs.size();) {
      std::vector<Eigen::Index> first_row{0};  // first row of each pair in the group
      std::vector<std::int64_t> rows;
      std::size_t g1 = g0;
      while (g1 < pairs.size() && (g1 == g0 || first_row.back() < kGroupRows)) {
        const auto& q = pairs[g1++];
        for (std::int64_t t = p_.traj_offsets[q.trajectory]; t < p_.traj_offsets[q.trajectory + 1]; ++t)
          rows.push_back(candidate_feature_row(p_, q.candidate, t));
        first_row.push_back(static_cast<Eigen::Index>(rows.size()));
      }
      score_group(pairs, g0, g1, rows, first_row, first, cond, J, gain, jittered);
      g0 = g1;
    }
  }

 private:
  void score_group(const std::vector<Pair>& pairs, std::size_t g0, std::size_t g1,
                   const std::vector<std::int64_t>& rows, const std::vector<Eigen::Index>& first,
                   std::int64_t first_candidate, const Conditioning& cond, std::vector<double>& J, std::vector<double>& gain,
                   std::atomic<int>& jittered) const {
    const auto P = static_cast<std::int64_t>(g1 - g0);
    const auto rg = static_cast<Eigen::Index>(rows.size());
    const Eigen::Index m = cond.size();
    PackedRows<double> X;
    pack_rows(p_.candidate_features, layout_, rows.data(), rg, X);

    // Per pair: UX = Lp^-1 k(X_p, X) and the factor of k_D(X, X) + sigma^2 I.
    std::vector<RowMatrix> factors(P), UX(P);
    parallel_for(P, threads_, [&](std::int64_t q) {
      const Eigen::Index r0 = first[q], T = first[q + 1] - first[q];
      GramScratch<double> scratch;
      RowMatrix G(T, T);
      packed_gram(layout_, X, r0, T, X, r0, T, G.data(), T, scratch);
      if (m > 0) {
        UX[q].resize(m, T);
        packed_gram(layout_, cond.points, 0, m, X, r0, T, UX[q].data(), T, scratch);
        cond.factor.triangularView<Eigen::Lower>().solveInPlace(UX[q]);
        G.noalias() -= UX[q].transpose() * UX[q];
      }
      G.diagonal().array() += p_.noise_variance;
      factors[q].resize(T, T);
      if (factor_conditional_gram(G.data(), factors[q].data(), static_cast<int>(T)) > 0) ++jittered;
    });

    // Target blocks: k(X, Z_b) for the whole group, then per pair solve, log and reduce.
    const AsScalar<S> XS(X);
    const double floor = tile::variance_floor(targets_.prior.size() ? targets_.prior.maxCoeff() : 1.0);
    std::vector<double> part_J(P * blocks_), part_gain(P * blocks_);
    parallel_for_with<BlockScratch<S>>(blocks_, threads_, [&](BlockScratch<S>& s, std::int64_t b) {
      const Eigen::Index z0 = b * kTargetBlock, mb = std::min(kTargetBlock, M_ - z0);
      pack_rows(p_.target_features, layout_, targets_.rows.data() + z0, mb, s.Zb);
      RowMatrix& C = s.C;
      C.resize(rg, mb);
      packed_gram(layout_, XS.get(), 0, rg, s.Zb, 0, mb, C.data(), mb, s.gram);
      for (std::int64_t q = 0; q < P; ++q) {
        const Eigen::Index r0 = first[q], T = first[q + 1] - first[q];
        Tile Cq(C.data() + r0 * mb, T, mb, Eigen::OuterStride<>(mb));
        if (m > 0) Cq.noalias() -= UX[q].transpose() * cond.UZ.middleCols(z0, mb);
        factors[q].triangularView<Eigen::Lower>().solveInPlace(Cq);
        double j_sum = 0, g_sum = 0;
        for (Eigen::Index z = 0; z < mb; ++z)
          tile::add_log_variance_terms(cond.prior(z0 + z), Cq.col(z).squaredNorm(), floor, targets_.omega[z0 + z],
                                       &j_sum, &g_sum);
        part_J[q * blocks_ + b] = j_sum;
        part_gain[q * blocks_ + b] = g_sum;
      }
    });
    for (std::int64_t q = 0; q < P; ++q) {
      double j_sum = 0, g_sum = 0;
      for (Eigen::Index b = 0; b < blocks_; ++b) {
        j_sum += part_J[q * blocks_ + b];
        g_sum += part_gain[q * blocks_ + b];
      }
      const Pair& pair = pairs[g0 + q];
      J[pair.candidate - first_candidate] += pair.weight * j_sum;
      gain[pair.candidate - first_candidate] += pair.weight * g_sum;
    }
  }

  const FeatureCriterionProblem& p_;
  const FeatureTargets& targets_;
  const PackedLayout& layout_;
  int threads_;
  Eigen::Index M_, blocks_;
};

// One AMF-NN selection on the CPU over a range of candidates. Each pass conditions on this batch's
// picks afresh (their Gram with the targets is small next to the pairs' blocks).
template <typename S>
class CpuFeatureSession final : public SelectionSession {
 public:
  CpuFeatureSession(const FeatureCriterionProblem& p, CandidateRange range, int threads)
      : SelectionSession(range), p_(p), targets_(feature_targets(p, range, threads)), layout_(p.candidate_features),
        pairs_(kept_range_pairs(targets_.candidate_weights, range, p.min_weight)),
        pass_(p, targets_, layout_, threads) {
    if (!(layout_ == PackedLayout(p.target_features)))
      throw InvalidArgument("feature sets of different forms or widths cannot be compared");
  }

  MatrixView<double> weights() const override {
    const RowMatrix& W = targets_.candidate_weights;
    return MatrixView<double>(W.data(), W.rows(), W.cols());
  }
  std::int64_t num_target_points() const override { return static_cast<std::int64_t>(targets_.rows.size()); }

  PassScores score() override {
    const Conditioning cond = pass_.condition(picked_rows_);
    PassScores out;
    out.J.assign(range().size(), 0.0);
    out.info_gain.assign(range().size(), 0.0);
    std::atomic<int> jittered{0};
    pass_.score(pairs_, range().begin, cond, out.J, out.info_gain, jittered);
    if (jittered > 0) spdlog::warn("amf: {} candidate conditional Grams needed diagonal jitter", jittered.load());
    return out;
  }

  void condition_on(std::int64_t candidate, std::int64_t trajectory) override {
    const auto rows = candidate_rows(p_, candidate, trajectory);
    picked_rows_.insert(picked_rows_.end(), rows.begin(), rows.end());
  }

 private:
  const FeatureCriterionProblem& p_;
  const FeatureTargets targets_;
  const PackedLayout layout_;
  const std::vector<Pair> pairs_;
  const FeaturePass<S> pass_;
  std::vector<std::int64_t> picked_rows_;  // rows of candidate_features of this batch's pseudo-demonstrations
};

}  // namespace

std::unique_ptr<SelectionSession> open_feature_session_cpu(const FeatureCriterionProblem& p, CandidateRange range,
                                                           int threads) {
  if (p.gram_precision == GramPrecision::Float32) return std::make_unique<CpuFeatureSession<float>>(p, range, threads);
  return std::make_unique<CpuFeatureSession<double>>(p, range, threads);
}

}  // namespace detail
}  // namespace amf
