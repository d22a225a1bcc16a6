#include "cuda/cuda_feature_criterion.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <spdlog/spdlog.h>

#include "amf/error.hpp"
#include "cpu/feature_targets.hpp"
#include "cpu/target_occupancy.hpp"
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
  for (std::size_t l = 0; l < g.left.size(); ++l) w += g.left[l].cols() + g.right[l].cols();
  return w;
}

}  // namespace

CriterionResult feature_criterion_cuda(const FeatureCriterionProblem& p, bool select, const CudaContext& ctx,
                                       CudaCriterionPath path) {
  if (p.gram_precision == GramPrecision::Float32) {
    static std::once_flag told;
    std::call_once(told, [] {
      spdlog::warn("amf cuda: gram_precision Float32 is a CPU-backend option; the CUDA feature criterion "
                   "computes in float64");
    });
  }
  const cudaStream_t s = ctx.stream();
  const auto& off = p.traj_offsets;
  const std::int64_t N = p.candidate_logp.rows;
  const FeatureTargets targets = feature_targets(p);
  const RowMatrix& Wc = targets.candidate_weights;
  const std::int64_t M = static_cast<std::int64_t>(targets.rows.size());
  const GatheredFeatures Zh = gather_features(p.target_features, targets.rows);
  const DeviceFeatures Z = upload_features(Zh, s);
  const std::int64_t width = feature_width(Zh);
  DeviceBuffer<double> dOmega(M), dPrior(M);
  upload(dOmega, targets.omega.data(), M, s);
  const double floor = tile::variance_floor(M ? targets.prior.maxCoeff() : 1.0);
  const double s2 = p.noise_variance;

  // The fused kernel takes at most kMaxStreamTerms cross-covariance terms: one per layer (two
  // per LayerNorm) and one for the conditioning on this batch's picks.
  std::size_t terms_needed = Z.embedding ? 2 : 1;
  for (const auto kind : Z.kinds) terms_needed += kind == FactorisedLayer::Kind::LayerNorm ? 2 : 1;
  bool fused = path == CudaCriterionPath::Fused;
  if (fused && terms_needed > static_cast<std::size_t>(kernels::kMaxStreamTerms)) {
    spdlog::warn("amf cuda: {} feature terms exceed the fused kernel's {}; building the cross-covariance in global "
                 "memory instead", terms_needed, kernels::kMaxStreamTerms);
    fused = false;
  }

  std::vector<Pair> pairs = kept_pairs(Wc.data(), Wc.rows(), Wc.cols(), p.min_weight);
  // Equal lengths next to each other, so chunks are long.
  std::stable_sort(pairs.begin(), pairs.end(),
                   [&](const Pair& a, const Pair& b) { return off[a.trajectory + 1] - off[a.trajectory] < off[b.trajectory + 1] - off[b.trajectory]; });

  CriterionResult result;
  result.weights.assign(Wc.data(), Wc.data() + Wc.size());
  result.num_target_points = M;
  std::vector<std::int64_t> picked_rows;
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    // k_D given this batch's picks Xp: U = Lp^-1 k(Xp, .), Lp Lp^T = k(Xp, Xp) + s2 I.
    const std::int64_t m = static_cast<std::int64_t>(picked_rows.size());
    const DeviceFeatures Xp = upload_features(gather_features(p.candidate_features, picked_rows), s);
    DeviceBuffer<double> dLp(m * m), dUZ(m * M);
    std::vector<double> prior(targets.prior.data(), targets.prior.data() + M);
    if (m > 0) {
      batched_feature_gram(ctx, {Xp, 0, 0, m}, {Xp, 0, 0, m}, 1, dLp.get());
      kernels::add_diagonal(dLp.get(), m, m, s2, s);
      potrf(ctx, dLp.get(), static_cast<int>(m), static_cast<int>(m), "the conditioning Gram of this batch's picks");
      batched_feature_gram(ctx, {Xp, 0, 0, m}, {Z, 0, 0, M}, 1, dUZ.get());
      lower_solve(ctx, dLp.get(), static_cast<int>(m), static_cast<int>(m), dUZ.get(), M);
      DeviceBuffer<double> dNorms(M);
      kernels::column_squared_norms(dUZ.get(), m, M, dNorms.get(), s);
      const auto norms = download(dNorms.get(), M, s);
      for (std::int64_t z = 0; z < M; ++z) prior[z] -= norms[z];
    }
    upload(dPrior, prior.data(), M, s);

    std::vector<double> J(N, 0.0), gain(N, 0.0);
    std::int64_t jittered = 0;
    std::size_t q0 = 0;
    while (q0 < pairs.size()) {
      const std::int64_t T = off[pairs[q0].trajectory + 1] - off[pairs[q0].trajectory];
      const std::int64_t limit = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(kChunkBytes / (8.0 * T * (m + 3 * T + (fused ? 0 : 3 * M) + width))), 1, 65535);
      std::size_t q1 = q0;
      while (q1 < pairs.size() && static_cast<std::int64_t>(q1 - q0) < limit &&
             off[pairs[q1].trajectory + 1] - off[pairs[q1].trajectory] == T)
        ++q1;
      const std::int64_t P = static_cast<std::int64_t>(q1 - q0);
      std::vector<std::int64_t> rows;
      for (std::size_t q = q0; q < q1; ++q) {
        const auto r = candidate_rows(p, pairs[q].candidate, pairs[q].trajectory);
        rows.insert(rows.end(), r.begin(), r.end());
      }
      const DeviceFeatures X = upload_features(gather_features(p.candidate_features, rows), s);
      DeviceBuffer<double> dG(P * T * T), dC(fused ? 0 : P * T * M), dJ(P), dGain(P), dJit(P), dUX(m * P * T);
      batched_feature_gram(ctx, {X, 0, T, T}, {X, 0, T, T}, P, dG.get());
      if (!fused) batched_feature_gram(ctx, {X, 0, T, T}, {Z, 0, 0, M}, P, dC.get());
      const double minus_one = -1.0, one = 1.0;
      if (m > 0) {
        // G_q -= U_q^T U_q (and on the materialised path C_q -= U_q^T U_Z) with
        // U = Lp^-1 k(Xp, X) (m x P T).
        batched_feature_gram(ctx, {Xp, 0, 0, m}, {X, 0, 0, P * T}, 1, dUX.get());
        lower_solve(ctx, dLp.get(), static_cast<int>(m), static_cast<int>(m), dUX.get(), P * T);
        AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(T),
                                                 static_cast<int>(T), static_cast<int>(m), &minus_one, dUX.get(),
                                                 static_cast<int>(m), m * T, dUX.get(), static_cast<int>(m), m * T,
                                                 &one, dG.get(), static_cast<int>(T), T * T, static_cast<int>(P)));
        if (!fused)
          AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(T),
                                                   static_cast<int>(M), static_cast<int>(m), &minus_one, dUX.get(),
                                                   static_cast<int>(m), m * T, dUZ.get(), static_cast<int>(m), 0,
                                                   &one, dC.get(), static_cast<int>(T), T * M, static_cast<int>(P)));
      }
      kernels::add_block_diagonals(dG.get(), P, static_cast<int>(T), s2, s);
      if (fused) {
        // C_q = k(X_q, Z) - U_q^T U_Z from the factors, tile by tile inside the kernel.
        kernels::FusedCriterionArgs args =
            kernels::fused_args(dG.get(), P, static_cast<int>(T), M, dPrior.get(), dOmega.get(), floor, dJ.get(),
                                dGain.get(), dJit.get());
        std::vector<kernels::StreamTerm> terms = fused_stream_terms(X, T, Z);
        if (m > 0) terms.push_back({kernels::StreamTermKind::Product, -1.0,
                                    {dUX.get(), m * T, m, dUZ.get(), m, static_cast<int>(m)}, {}});
        std::copy(terms.begin(), terms.end(), args.terms);
        args.num_terms = static_cast<int>(terms.size());
        kernels::fused_criterion(args, s);
      } else {
        kernels::criterion_tiles(dG.get(), dC.get(), P, static_cast<int>(T), M, dPrior.get(), dOmega.get(), floor,
                                 dJ.get(), dGain.get(), dJit.get(), s);
      }
      jittered += add_pair_scores(pairs, q0, P, dJ.get(), dGain.get(), dJit.get(), s, J, gain);
      q0 = q1;
    }
    if (jittered > 0) spdlog::warn("amf cuda: {} candidate conditional Grams needed diagonal jitter", jittered);
    if (!finish_feature_pass(b, select, J, gain, p, Wc, result, picked_rows)) break;
  }
  ctx.synchronize();
  return result;
}

}  // namespace detail
}  // namespace amf
