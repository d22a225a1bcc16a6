#include "cuda/cuda_feature_criterion.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <numeric>
#include <spdlog/spdlog.h>
#include <thread>

#include "amf/error.hpp"
#include "prep/feature_targets.hpp"
#include "prep/target_occupancy.hpp"
#include "cuda/device_chunk_limit.hpp"
#include "cuda/device_features.hpp"
#include "cuda/device_linalg.hpp"
#include "cuda/kernel_clock.hpp"
#include "cuda/pair_scores.hpp"
#include "feature_kernels.cuh"
#include "fused_launch.cuh"
#include "gp_kernels.cuh"
#include "pair_reductions.cuh"
#include "prior_update.cuh"
#include "prep/pair_chunks.hpp"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

// Bound on a chunk's device buffers, both staging slots' features included: at W-NN's shapes
// (T 50, feature width 4110) one wave of an H100/H200 (528 pairs) fits, and the pass stays well
// under its 4 GiB device-memory target.
constexpr double kChunkBytes = 2.0 * 1024 * 1024 * 1024;

// Host threads gathering a chunk into pinned memory: a copy, bound by memory bandwidth, which a
// few threads saturate.
int gather_threads() { return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u)); }

// One AMF-NN selection on the device over a range of candidates. The targets' features, weights
// and prior variances are uploaded once; each score() conditions on this batch's picks afresh
// (their Gram with the targets is small next to the pairs' blocks). A pass runs the pairs in
// chunks of one length and whole waves (prep/pair_chunks.hpp), pipelined: chunk k's rows are
// gathered into pinned memory and copied on the copy stream while chunk k - 1's kernels run
// (FeatureStagingSlot); every chunk's J, gain and jitter stay on the device until the pass's
// per-candidate weighted sums (CUB), so nothing synchronises between chunks. Buffers are sized
// for the largest chunk once and reused. With feature groups (parameter isolation) every Gram
// between points of different groups is zeroed after it is built (feature_kernels.cuh; the fused
// kernel masks its own tiles), the entries the CPU session masks.
class CudaFeatureSession final : public SelectionSession {
 public:
  CudaFeatureSession(const FeatureCriterionProblem& p, CandidateRange range, const CudaContext& ctx,
                     CudaCriterionPath path, std::int64_t chunk_pairs)
      : SelectionSession(range), p_(p), ctx_(ctx), chunk_pairs_(chunk_pairs), targets_(feature_targets(p, range)),
        M_(static_cast<std::int64_t>(targets_.rows.size())) {
    if (p.gram_precision == GramPrecision::Float32) {
      static std::once_flag told;
      std::call_once(told, [] {
        spdlog::warn("amf cuda: gram_precision Float32 is a CPU-backend option; the CUDA feature criterion "
                     "computes in float64");
      });
    }
    const cudaStream_t s = ctx_.stream();
    if (p.candidate_features.on_device()) {
      // The caller's candidate features are read where they lie (no host staging or copy).
      DeviceRowGather::check_placement(p.candidate_features, ctx_.device(), "candidate_features");
      device_rows_ = std::make_unique<DeviceRowGather>(ctx_);
    }
    const GatheredFeatures Zh = gather_features(p.target_features, targets_.rows, "target_features");
    Z_ = upload_features(Zh, s);
    layout_ = feature_block_layout(p.candidate_features);
    width_ = layout_.doubles_per_row();
    dOmega_ = DeviceBuffer<double>(M_);
    dPrior_ = DeviceBuffer<double>(M_);
    dPriorBase_ = DeviceBuffer<double>(M_);
    upload(dOmega_, targets_.omega.data(), M_, s);
    upload(dPriorBase_, targets_.prior.data(), M_, s);
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
    pairs_ = kept_range_pairs(targets_.candidate_weights, range, p.min_weight);
    sort_pairs_by_length(pairs_, p.traj_offsets.data);
    if (grouped_) {  // the group of each pair (length order) and of each target point
      std::vector<std::int64_t> pair_groups(pairs_.size());
      for (std::size_t q = 0; q < pairs_.size(); ++q) pair_groups[q] = candidate_group(p, pairs_[q].candidate);
      dPairGroups_ = DeviceBuffer<std::int64_t>(pairs_.size());
      dTargetGroups_ = DeviceBuffer<std::int64_t>(M_);
      upload(dPairGroups_, pair_groups.data(), pair_groups.size(), s);
      upload(dTargetGroups_, targets_.groups.data(), M_, s);
    }
    // The pass's weighted sums per candidate, in candidate order (the pairs are in length order).
    // Synchronises, so the host vectors uploaded above may go.
    scores_.prepare(pairs_, range.begin, range.size(), s);
  }

  MatrixView<double> weights() const override {
    const RowMatrix& W = targets_.candidate_weights;
    return MatrixView<double>(W.data(), W.rows(), W.cols());
  }
  std::int64_t num_target_points() const override { return M_; }

  void condition_pick(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& /*blocks*/) override {
    const auto rows = candidate_rows(p_, candidate, trajectory);
    picked_rows_.insert(picked_rows_.end(), rows.begin(), rows.end());
    picked_groups_.insert(picked_groups_.end(), rows.size(), candidate_group(p_, candidate));
  }

  PassScores score_pass(bool /*with_info_gain: both come from the same kernel*/) override {
    ctx_.make_current();
    const cudaStream_t s = ctx_.stream();
    const std::int64_t M = M_;
    const double s2 = p_.noise_variance;
    // k_D given this batch's picks Xp: U = Lp^-1 k(Xp, .), Lp Lp^T = k(Xp, Xp) + s2 I.
    const std::int64_t m = static_cast<std::int64_t>(picked_rows_.size());
    DeviceFeatures Xp;
    if (device_rows_) {
      Xp = device_features_of(layout_);
      device_rows_->gather(p_.candidate_features, layout_, picked_rows_, Xp);
    } else {
      Xp = upload_features(gather_features(p_.candidate_features, picked_rows_, "candidate_features"), s);
    }
    DeviceBuffer<double> dLp(m * m), dUZ(m * M), dNorms(m > 0 ? M : 0);  // freed after the pass's last sync
    const bool grouped = grouped_;
    DeviceBuffer<std::int64_t> dPickGroups(grouped ? m : 0);
    if (m > 0) {
      if (grouped) upload(dPickGroups, picked_groups_.data(), m, s);  // read by the kernels below, before potrf syncs
      batched_feature_gram(ctx_, {Xp, 0, 0, m}, {Xp, 0, 0, m}, 1, dLp.get());
      if (grouped) kernels::mask_between_groups(dLp.get(), m, m, m, dPickGroups.get(), dPickGroups.get(), 1, s);
      kernels::add_diagonal(dLp.get(), m, m, s2, s);
      potrf(ctx_, dLp.get(), static_cast<int>(m), static_cast<int>(m), "the conditioning Gram of this batch's picks");
      batched_feature_gram(ctx_, {Xp, 0, 0, m}, {Z_, 0, 0, M}, 1, dUZ.get());
      if (grouped) kernels::mask_between_groups(dUZ.get(), m, M, m, dPickGroups.get(), dTargetGroups_.get(), 1, s);
      lower_solve(ctx_, dLp.get(), static_cast<int>(m), static_cast<int>(m), dUZ.get(), M);
      kernels::column_squared_norms(dUZ.get(), m, M, dNorms.get(), s);
      kernels::subtract(dPriorBase_.get(), dNorms.get(), M, dPrior_.get(), s);
    } else if (M > 0) {
      AMF_CUDA_TRY(cudaMemcpyAsync(dPrior_.get(), dPriorBase_.get(), M * sizeof(double), cudaMemcpyDeviceToDevice, s));
    }

    const auto& off = p_.traj_offsets;
    const std::vector<PairChunk> chunks =
        plan_pair_chunks(pairs_, off.data, [&](std::int64_t T) { return chunk_limit(T, m); });
    std::int64_t most_rows = 0, most_gram = m * m, most_cross = 0;
    for (const PairChunk& c : chunks) {
      most_rows = std::max(most_rows, c.size() * c.steps);
      most_gram = std::max({most_gram, c.size() * c.steps * c.steps, m * c.size() * c.steps});
      if (!fused_) most_cross = std::max(most_cross, c.size() * c.steps * M);
    }
    // Everything sized before the first chunk: growing a device buffer mid-pass would free it
    // (cudaFree synchronises the device) and break the overlap.
    for (auto& slot : slots_) slot->reserve(layout_, most_rows, /*host_staging=*/!device_rows_);
    workspace_.S.grow_to(std::max({most_gram, most_cross, m * M}));
    workspace_.H.grow_to(std::max({most_gram, most_cross, m * M}));
    dG_.grow_to(most_gram);
    if (!fused_) dC_.grow_to(most_cross);
    dUX_.grow_to(m * most_rows);

    const int threads = gather_threads();
    std::vector<std::int64_t> rows;
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      const PairChunk& chunk = chunks[k];
      const std::int64_t P = chunk.size(), T = chunk.steps;
      rows.clear();
      for (std::size_t q = chunk.begin; q < chunk.end; ++q) {
        const auto r = candidate_rows(p_, pairs_[q].candidate, pairs_[q].trajectory);
        rows.insert(rows.end(), r.begin(), r.end());
      }
      FeatureStagingSlot& slot = *slots_[k % 2];
      const DeviceFeatures& X = slot.stage(p_.candidate_features, rows, threads, "candidate_features", device_rows_.get());
      double *J = scores_.J(chunk.begin), *gain = scores_.gain(chunk.begin), *jitter = scores_.jitter(chunk.begin);
      const std::int64_t* chunk_groups = grouped ? dPairGroups_.get() + chunk.begin : nullptr;
      // A pair's own Gram needs no mask: all its rows are its candidate's group.
      batched_feature_gram(ctx_, {X, 0, T, T}, {X, 0, T, T}, P, dG_.get(), &workspace_);
      if (!fused_) batched_feature_gram(ctx_, {X, 0, T, T}, {Z_, 0, 0, M}, P, dC_.get(), &workspace_);
      const double minus_one = -1.0, one = 1.0;
      if (m > 0) {
        // G_q -= U_q^T U_q (and on the materialised path C_q -= U_q^T U_Z) with
        // U = Lp^-1 k(Xp, X) (m x P T).
        batched_feature_gram(ctx_, {Xp, 0, 0, m}, {X, 0, 0, P * T}, 1, dUX_.get(), &workspace_);
        if (grouped)
          kernels::mask_between_groups(dUX_.get(), m, P * T, m, dPickGroups.get(), chunk_groups, T, s);
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
      timings_.start(s);
      if (fused_) {
        // C_q = k(X_q, Z) - U_q^T U_Z from the factors, tile by tile inside the kernel.
        kernels::FusedCriterionArgs args = kernels::fused_args(dG_.get(), P, static_cast<int>(T), M, dPrior_.get(),
                                                               dOmega_.get(), floor_, J, gain, jitter);
        std::vector<kernels::StreamTerm> terms = fused_stream_terms(X, T, Z_);
        if (m > 0) terms.push_back({kernels::StreamTermKind::Product, -1.0,
                                    {dUX_.get(), m * T, m, dUZ.get(), m, static_cast<int>(m)}, {}});
        std::copy(terms.begin(), terms.end(), args.terms);
        args.num_terms = static_cast<int>(terms.size());
        args.pair_groups = chunk_groups;
        args.target_groups = grouped ? dTargetGroups_.get() : nullptr;
        kernels::fused_criterion(args, s);
      } else {
        if (grouped) kernels::mask_pair_blocks(dC_.get(), P, static_cast<int>(T), M, chunk_groups, dTargetGroups_.get(), s);
        kernels::criterion_tiles(dG_.get(), dC_.get(), P, static_cast<int>(T), M, dPrior_.get(), dOmega_.get(),
                                 floor_, J, gain, jitter, s);
      }
      timings_.stop(s);
      slot.mark_read();
    }
    PassScores out = scores_.sum(pairs_, reduce_scratch_, s);  // synchronises the stream
    if (device_rows_) device_rows_->check("candidate_features");
    timings_.add_to_clock();
    return out;
  }

 private:
  // Pairs of T steps one chunk may hold (kChunkBytes over a pair's device blocks: both slots'
  // features, its Gram and the Gram temporaries, its columns of U against the m picks and their
  // Gram temporaries, and on the materialised path its cross-covariance and temporaries), and
  // one wave of the kernel that scores them.
  ChunkLimit chunk_limit(std::int64_t T, std::int64_t m) const {
    const double bytes = 8.0 * T * (3 * m + 3 * T + (fused_ ? 0 : 3 * M_) + 2 * width_);
    return device_chunk_limit(kChunkBytes, bytes, T, fused_, chunk_pairs_, ctx_);
  }

  const FeatureCriterionProblem& p_;
  const CudaContext& ctx_;
  const std::int64_t chunk_pairs_;  // BackendOptions::cuda_chunk_pairs
  const FeatureTargets targets_;
  const std::int64_t M_;
  DeviceFeatures Z_;
  FeatureBlockLayout layout_;
  std::int64_t width_ = 0;
  DeviceBuffer<double> dOmega_, dPrior_;
  DeviceBuffer<double> dPriorBase_;  // k(z, z) of the targets; dPrior_ is it under this batch's picks
  double floor_ = 1.0;
  bool fused_ = true;
  std::vector<CandidatePair> pairs_;
  std::vector<std::int64_t> picked_rows_;
  std::vector<std::int64_t> picked_groups_;  // the group of each picked row (read with groups only)
  const bool grouped_ = has_groups(p_);
  // With feature groups: the group of each pair (length order) and of each target point.
  DeviceBuffer<std::int64_t> dPairGroups_, dTargetGroups_;
  std::array<std::unique_ptr<FeatureStagingSlot>, 2> slots_{std::make_unique<FeatureStagingSlot>(ctx_, 0),
                                                            std::make_unique<FeatureStagingSlot>(ctx_, 1)};
  GramWorkspace workspace_;
  DeviceBuffer<double> dG_, dC_, dUX_;  // chunk buffers, reused
  // Per pair of the pass (length order), and the candidate-order segments of the weighted sums.
  DevicePassScores scores_;
  DeviceBuffer<unsigned char> reduce_scratch_;
  KernelTimings timings_;
  std::unique_ptr<DeviceRowGather> device_rows_;  // candidate features on the device, or null
};

}  // namespace

std::unique_ptr<SelectionSession> open_feature_session_cuda(const FeatureCriterionProblem& p, CandidateRange range,
                                                            const CudaContext& ctx, CudaCriterionPath path,
                                                            std::int64_t chunk_pairs) {
  ctx.make_current();  // before the session's members allocate device memory
  ctx.order_after_caller();  // the caller's writes to its inputs land before the session reads them
  return std::make_unique<CudaFeatureSession>(p, range, ctx, path, chunk_pairs);
}

}  // namespace detail
}  // namespace amf
