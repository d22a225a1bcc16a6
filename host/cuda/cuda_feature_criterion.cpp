#include "cuda/cuda_feature_criterion.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <spdlog/spdlog.h>

#include "amf/error.hpp"
#include "prep/feature_targets.hpp"
#include "prep/target_occupancy.hpp"
#include "cuda/device_features.hpp"
#include "cuda/device_linalg.hpp"
#include "cuda/pair_scores.hpp"
#include "feature_kernels.cuh"
#include "fused_launch.cuh"
#include "gp_kernels.cuh"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

constexpr double kChunkBytes = 1024.0 * 1024 * 1024;  // bound on each chunk's materialised blocks

using Pair = CandidatePair;

std::int64_t feature_width(const GatheredFeatures& g) {
  std::int64_t w = 0;
  for (const auto& t : g.terms) w += t.left.cols() + t.right.cols();
  return w;
}

// One AMF-NN selection on the device over a range of candidates. The targets' features, weights
// and prior variances are uploaded once; each score() conditions on this batch's picks afresh
// (their Gram with the targets is small next to the pairs' blocks). Chunk buffers grow to the
// largest chunk once and are reused.
class CudaFeatureSession final : public SelectionSession {
 public:
  CudaFeatureSession(const FeatureCriterionProblem& p, CandidateRange range, const CudaContext& ctx,
                     CudaCriterionPath path)
      : SelectionSession(range), p_(p), ctx_(ctx), targets_(feature_targets(p, range)),
        M_(static_cast<std::int64_t>(targets_.rows.size())) {
    if (p.gram_precision == GramPrecision::Float32) {
      static std::once_flag told;
      std::call_once(told, [] {
        spdlog::warn("amf cuda: gram_precision Float32 is a CPU-backend option; the CUDA feature criterion "
                     "computes in float64");
      });
    }
    const cudaStream_t s = ctx_.stream();
    const GatheredFeatures Zh = gather_features(p.target_features, targets_.rows, "target_features");
    Z_ = upload_features(Zh, s);
    width_ = feature_width(Zh);
    dOmega_ = DeviceBuffer<double>(M_);
    dPrior_ = DeviceBuffer<double>(M_);
    upload(dOmega_, targets_.omega.data(), M_, s);
    floor_ = tile::variance_floor(M_ ? targets_.prior.maxCoeff() : 1.0);

    // The fused kernel takes at most kMaxStreamTerms cross-covariance terms: one per feature term
    // (an embedding, a Linear layer, two per LayerNorm) and one for the conditioning on this
    // batch's picks.
    const std::size_t terms_needed = Z_.terms.size() + 1;
    fused_ = path == CudaCriterionPath::Fused;
    if (fused_ && terms_needed > static_cast<std::size_t>(kernels::kMaxStreamTerms)) {
      spdlog::warn("amf cuda: {} feature terms exceed the fused kernel's {}; building the cross-covariance in "
                   "global memory instead", terms_needed, kernels::kMaxStreamTerms);
      fused_ = false;
    }
    const auto& off = p.traj_offsets;
    pairs_ = kept_range_pairs(targets_.candidate_weights, range, p.min_weight);
    // Equal lengths next to each other, so chunks are long.
    std::stable_sort(pairs_.begin(), pairs_.end(), [&](const Pair& a, const Pair& b) {
      return off[a.trajectory + 1] - off[a.trajectory] < off[b.trajectory + 1] - off[b.trajectory];
    });
  }

  MatrixView<double> weights() const override {
    const RowMatrix& W = targets_.candidate_weights;
    return MatrixView<double>(W.data(), W.rows(), W.cols());
  }
  std::int64_t num_target_points() const override { return M_; }

  void condition_pick(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& /*blocks*/) override {
    const auto rows = candidate_rows(p_, candidate, trajectory);
    picked_rows_.insert(picked_rows_.end(), rows.begin(), rows.end());
  }

  PassScores score_pass(bool /*with_info_gain: both come from the same kernel*/) override {
    ctx_.make_current();
    const cudaStream_t s = ctx_.stream();
    const auto& off = p_.traj_offsets;
    const std::int64_t M = M_;
    const double s2 = p_.noise_variance;
    // k_D given this batch's picks Xp: U = Lp^-1 k(Xp, .), Lp Lp^T = k(Xp, Xp) + s2 I.
    const std::int64_t m = static_cast<std::int64_t>(picked_rows_.size());
    const DeviceFeatures Xp = upload_features(gather_features(p_.candidate_features, picked_rows_, "candidate_features"), s);
    DeviceBuffer<double> dLp(m * m), dUZ(m * M);
    std::vector<double> prior(targets_.prior.data(), targets_.prior.data() + M);
    if (m > 0) {
      batched_feature_gram(ctx_, {Xp, 0, 0, m}, {Xp, 0, 0, m}, 1, dLp.get());
      kernels::add_diagonal(dLp.get(), m, m, s2, s);
      potrf(ctx_, dLp.get(), static_cast<int>(m), static_cast<int>(m), "the conditioning Gram of this batch's picks");
      batched_feature_gram(ctx_, {Xp, 0, 0, m}, {Z_, 0, 0, M}, 1, dUZ.get());
      lower_solve(ctx_, dLp.get(), static_cast<int>(m), static_cast<int>(m), dUZ.get(), M);
      DeviceBuffer<double> dNorms(M);
      kernels::column_squared_norms(dUZ.get(), m, M, dNorms.get(), s);
      const auto norms = download(dNorms.get(), M, s);
      for (std::int64_t z = 0; z < M; ++z) prior[z] -= norms[z];
    }
    upload(dPrior_, prior.data(), M, s);

    PassScores out;
    out.J.assign(range().size(), 0.0);
    out.info_gain.assign(range().size(), 0.0);
    std::int64_t jittered = 0;
    std::size_t q0 = 0;
    while (q0 < pairs_.size()) {
      const std::int64_t T = off[pairs_[q0].trajectory + 1] - off[pairs_[q0].trajectory];
      const std::int64_t limit = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(kChunkBytes / (8.0 * T * (m + 3 * T + (fused_ ? 0 : 3 * M) + width_))), 1, 65535);
      std::size_t q1 = q0;
      while (q1 < pairs_.size() && static_cast<std::int64_t>(q1 - q0) < limit &&
             off[pairs_[q1].trajectory + 1] - off[pairs_[q1].trajectory] == T)
        ++q1;
      const std::int64_t P = static_cast<std::int64_t>(q1 - q0);
      std::vector<std::int64_t> rows;
      for (std::size_t q = q0; q < q1; ++q) {
        const auto r = candidate_rows(p_, pairs_[q].candidate, pairs_[q].trajectory);
        rows.insert(rows.end(), r.begin(), r.end());
      }
      const DeviceFeatures X = upload_features(gather_features(p_.candidate_features, rows, "candidate_features"), s);
      dG_.grow_to(P * T * T);
      if (!fused_) dC_.grow_to(P * T * M);
      dJ_.grow_to(P);
      dGain_.grow_to(P);
      dJit_.grow_to(P);
      dUX_.grow_to(m * P * T);
      batched_feature_gram(ctx_, {X, 0, T, T}, {X, 0, T, T}, P, dG_.get());
      if (!fused_) batched_feature_gram(ctx_, {X, 0, T, T}, {Z_, 0, 0, M}, P, dC_.get());
      const double minus_one = -1.0, one = 1.0;
      if (m > 0) {
        // G_q -= U_q^T U_q (and on the materialised path C_q -= U_q^T U_Z) with
        // U = Lp^-1 k(Xp, X) (m x P T).
        batched_feature_gram(ctx_, {Xp, 0, 0, m}, {X, 0, 0, P * T}, 1, dUX_.get());
        lower_solve(ctx_, dLp.get(), static_cast<int>(m), static_cast<int>(m), dUX_.get(), P * T);
        AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(T),
                                                 static_cast<int>(T), static_cast<int>(m), &minus_one, dUX_.get(),
                                                 static_cast<int>(m), m * T, dUX_.get(), static_cast<int>(m), m * T,
                                                 &one, dG_.get(), static_cast<int>(T), T * T, static_cast<int>(P)));
        if (!fused_)
          AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(T),
                                                   static_cast<int>(M), static_cast<int>(m), &minus_one, dUX_.get(),
                                                   static_cast<int>(m), m * T, dUZ.get(), static_cast<int>(m), 0,
                                                   &one, dC_.get(), static_cast<int>(T), T * M, static_cast<int>(P)));
      }
      kernels::add_block_diagonals(dG_.get(), P, static_cast<int>(T), s2, s);
      if (fused_) {
        // C_q = k(X_q, Z) - U_q^T U_Z from the factors, tile by tile inside the kernel.
        kernels::FusedCriterionArgs args =
            kernels::fused_args(dG_.get(), P, static_cast<int>(T), M, dPrior_.get(), dOmega_.get(), floor_, dJ_.get(),
                                dGain_.get(), dJit_.get());
        std::vector<kernels::StreamTerm> terms = fused_stream_terms(X, T, Z_);
        if (m > 0) terms.push_back({kernels::StreamTermKind::Product, -1.0,
                                    {dUX_.get(), m * T, m, dUZ.get(), m, static_cast<int>(m)}, {}});
        std::copy(terms.begin(), terms.end(), args.terms);
        args.num_terms = static_cast<int>(terms.size());
        kernels::fused_criterion(args, s);
      } else {
        kernels::criterion_tiles(dG_.get(), dC_.get(), P, static_cast<int>(T), M, dPrior_.get(), dOmega_.get(),
                                 floor_, dJ_.get(), dGain_.get(), dJit_.get(), s);
      }
      jittered += add_pair_scores(pairs_, q0, P, range().begin, dJ_.get(), dGain_.get(), dJit_.get(), s, out.J,
                                  out.info_gain);
      q0 = q1;
    }
    if (jittered > 0) spdlog::warn("amf cuda: {} candidate conditional Grams needed diagonal jitter", jittered);
    ctx_.synchronize();
    return out;
  }

 private:
  const FeatureCriterionProblem& p_;
  const CudaContext& ctx_;
  const FeatureTargets targets_;
  const std::int64_t M_;
  DeviceFeatures Z_;
  std::int64_t width_ = 0;
  DeviceBuffer<double> dOmega_, dPrior_;
  double floor_ = 1.0;
  bool fused_ = true;
  std::vector<Pair> pairs_;
  std::vector<std::int64_t> picked_rows_;
  DeviceBuffer<double> dG_, dC_, dJ_, dGain_, dJit_, dUX_;  // chunk buffers, reused
};

}  // namespace

std::unique_ptr<SelectionSession> open_feature_session_cuda(const FeatureCriterionProblem& p, CandidateRange range,
                                                            const CudaContext& ctx, CudaCriterionPath path) {
  ctx.make_current();  // before the session's members allocate device memory
  return std::make_unique<CudaFeatureSession>(p, range, ctx, path);
}

}  // namespace detail
}  // namespace amf
