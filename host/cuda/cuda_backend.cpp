#include "cuda/cuda_backend.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "amf/error.hpp"
#include "core/greedy_pick.hpp"
#include "cpu/cpu_backend.hpp"
#include "cpu/pool_data.hpp"
#include "cpu/target_occupancy.hpp"
#include "cuda/cuda_context.hpp"
#include "cuda/cuda_feature_criterion.hpp"
#include "cuda/device_linalg.hpp"
#include "cuda/pair_scores.hpp"
#include "fused_launch.cuh"
#include "gp_kernels.cuh"
#include "tile_math.cuh"

namespace amf {
namespace {

using detail::DeviceBuffer;
using detail::download;
using detail::lower_solve;
using detail::potrf;
using detail::upload;
using detail::RowMatrix;
constexpr double kChunkBytes = 1024.0 * 1024 * 1024;  // bound on each materialised block

}  // namespace

struct CudaBackend::Impl {
  detail::CudaContext ctx;
  CudaCriterionPath path;
};

CudaBackend::CudaBackend(const BackendOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->path = options.cuda_criterion;
}
CudaBackend::~CudaBackend() = default;

CriterionResult CudaBackend::run(const CriterionProblem& p, bool select) {
  const detail::PoolData pool = detail::gather_pool(p);
  const std::int64_t R = pool.num_trajectories(), n = pool.X.rows(), N = p.candidates.rows, K = p.targets.rows;
  std::int64_t T_max = 0;
  for (std::int64_t i = 0; i < R; ++i) T_max = std::max(T_max, pool.steps(i));
  if (T_max > kernels::kMaxTile) {
    spdlog::warn("amf: trajectories of {} steps exceed the CUDA tile limit of {}; using the CPU backend", T_max,
                 kernels::kMaxTile);
    return CpuBackend().run(p, select);
  }
  const auto& ctx = impl_->ctx;
  const cudaStream_t s = ctx.stream();
  const int ds = pool.state_dim, da = pool.action_dim, dc = pool.task_dim, dx = ds + dc;
  const kernels::RbfParams kp{ds, dc, -0.5 / (p.kernel.state_lengthscale * p.kernel.state_lengthscale),
                              -0.5 / (p.kernel.task_lengthscale * p.kernel.task_lengthscale), p.kernel.signal_variance};
  const double s2 = p.noise_variance, sf2 = p.kernel.signal_variance;
  const int picks = select ? p.batch_size : 1;
  const std::int64_t cap = n + picks * T_max;  // conditioning capacity: pool + pseudo-demonstrations

  // Pool on the device.
  std::vector<double> states(n * ds), actions(n * da), Ycol(n * da), tasks_c(N * dc), tasks_t(K * dc);
  for (std::int64_t r = 0; r < n; ++r) {
    for (int d = 0; d < ds; ++d) states[r * ds + d] = pool.X(r, d);
    for (int d = 0; d < da; ++d) actions[r * da + d] = Ycol[r + d * n] = pool.Y(r, d);
  }
  for (std::int64_t c = 0; c < N; ++c) std::copy_n(p.candidates.row(c), dc, tasks_c.data() + c * dc);
  for (std::int64_t c = 0; c < K; ++c) std::copy_n(p.targets.row(c), dc, tasks_t.data() + c * dc);
  DeviceBuffer<double> dXc(cap * dx), dS(n * ds), dA(n * da), dAlpha(n * da), dL(cap * cap);
  DeviceBuffer<std::int64_t> dOff(R + 1);
  upload(dXc, pool.X.data(), n * dx, s);
  upload(dS, states.data(), states.size(), s);
  upload(dA, actions.data(), actions.size(), s);
  upload(dAlpha, Ycol.data(), Ycol.size(), s);
  upload(dOff, pool.offsets.data(), pool.offsets.size(), s);

  // GP fit: L L^T = K + s2 I, alpha = (K + s2 I)^-1 Y.
  kernels::rbf_gram(dXc.get(), n, dXc.get(), n, kp, dL.get(), cap, s);
  kernels::add_diagonal(dL.get(), n, cap, s2, s);
  potrf(ctx, dL.get(), static_cast<int>(n), static_cast<int>(cap), "the GP Gram k(X, X) + noise I");
  {
    DeviceBuffer<int> info(1);
    AMF_CUSOLVER_TRY(cusolverDnDpotrs(ctx.solver(), CUBLAS_FILL_MODE_LOWER, static_cast<int>(n), da, dL.get(),
                                      static_cast<int>(cap), dAlpha.get(), static_cast<int>(n), info.get()));
  }

  // Importance weights: per-trajectory clipped log-likelihood sums of the relabelled pool for a
  // chunk of tasks at a time (n x chunk n kernel block), softmax against the own-task sums.
  auto loglik_sums = [&](const double* dPoints, std::int64_t count, double* dSums) {
    const std::int64_t cols = count * n;
    DeviceBuffer<double> kx(n * cols), mean(cols * da), usq(cols);
    kernels::rbf_gram(dXc.get(), n, dPoints, cols, kp, kx.get(), n, s);
    const double one = 1.0, zero = 0.0;
    AMF_CUBLAS_TRY(cublasDgemm(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(cols), da, static_cast<int>(n),
                               &one, kx.get(), static_cast<int>(n), dAlpha.get(), static_cast<int>(n), &zero,
                               mean.get(), static_cast<int>(cols)));
    lower_solve(ctx, dL.get(), static_cast<int>(n), static_cast<int>(cap), kx.get(), cols);
    kernels::column_squared_norms(kx.get(), n, cols, usq.get(), s);
    kernels::trajectory_loglik(dA.get(), n, da, mean.get(), usq.get(), sf2, s2, p.clip.lo, p.clip.hi, dOff.get(), R,
                               count, dSums, s);
  };
  DeviceBuffer<double> dOwn(R);
  loglik_sums(dXc.get(), 1, dOwn.get());
  auto weights = [&](const std::vector<double>& tasks, std::int64_t count) {
    RowMatrix W(count, R);
    const std::int64_t chunk = std::max<std::int64_t>(1, static_cast<std::int64_t>(kChunkBytes / (8.0 * n * (n + dx + da + 1))));
    DeviceBuffer<double> dTasks(std::max<std::int64_t>(tasks.size(), 1));
    upload(dTasks, tasks.data(), tasks.size(), s);
    for (std::int64_t c0 = 0; c0 < count; c0 += chunk) {
      const std::int64_t m = std::min(chunk, count - c0);
      DeviceBuffer<double> points(m * n * dx), sums(m * R);
      kernels::relabel_pool(dS.get(), n, ds, dTasks.get() + c0 * dc, m, dc, points.get(), s);
      loglik_sums(points.get(), m, sums.get());
      kernels::softmax_rows(sums.get(), dOwn.get(), m, R, s);
      const auto h = download(sums.get(), m * R, s);
      std::copy(h.begin(), h.end(), W.data() + c0 * R);
    }
    return W;
  };
  const RowMatrix cand_w = weights(tasks_c, N), target_w = weights(tasks_t, K);

  // Target occupancy and the kept (candidate, trajectory) pairs, on the host (small).
  const detail::TargetOccupancy occ = detail::target_occupancy(pool, p, target_w);
  const std::int64_t M = occ.points.rows();
  DeviceBuffer<double> dZ(M * dx), dOmega(M), dUZ(cap * M), dPrior(M);
  upload(dZ, occ.points.data(), M * dx, s);
  upload(dOmega, occ.weight.data(), M, s);
  const std::vector<CandidatePair> pairs = detail::kept_pairs(cand_w.data(), N, R, p.min_weight);

  CriterionResult result;
  result.num_target_points = M;
  result.weights.assign(cand_w.data(), cand_w.data() + cand_w.size());
  std::int64_t nc = n;
  const double floor = tile::variance_floor(sf2);
  for (int b = 0; b < picks; ++b) {
    // Prior variances of the targets under the current conditioning set.
    kernels::rbf_gram(dXc.get(), nc, dZ.get(), M, kp, dUZ.get(), nc, s);
    lower_solve(ctx, dL.get(), static_cast<int>(nc), static_cast<int>(cap), dUZ.get(), M);
    kernels::column_squared_norms(dUZ.get(), nc, M, dPrior.get(), s);
    {
      std::vector<double> prior = download(dPrior.get(), M, s);
      for (double& v : prior) v = sf2 - v;
      upload(dPrior, prior.data(), M, s);
    }
    std::vector<double> J(N, 0.0), gain(N, 0.0);
    std::int64_t jittered = 0;
    // Pairs in chunks: each holds U_X (nc x P T) and G (P T^2); the materialised path also
    // C (P T M). Pairs of different lengths run in separate chunks.
    const bool fused = impl_->path == CudaCriterionPath::Fused;
    std::size_t q0 = 0;
    while (q0 < pairs.size()) {
      const int T = static_cast<int>(pool.steps(pairs[q0].trajectory));
      const std::int64_t limit = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(kChunkBytes / (8.0 * T * (nc + T + (fused ? 0 : M) + dx))), 1, 65535);
      std::size_t q1 = q0;
      while (q1 < pairs.size() && static_cast<std::int64_t>(q1 - q0) < limit && pool.steps(pairs[q1].trajectory) == T) ++q1;
      const std::int64_t P = static_cast<std::int64_t>(q1 - q0);
      RowMatrix Xp(P * T, dx);
      for (std::int64_t q = 0; q < P; ++q)
        detail::relabel_trajectory(pool, pairs[q0 + q].trajectory, p.candidates.row(pairs[q0 + q].candidate), Xp, q * T);
      DeviceBuffer<double> dXp(P * T * dx), dUX(nc * P * T), dG(P * T * T), dC(fused ? 0 : P * T * M), dJ(P),
          dGain(P), dJit(P);
      upload(dXp, Xp.data(), P * T * dx, s);
      kernels::rbf_gram(dXc.get(), nc, dXp.get(), P * T, kp, dUX.get(), nc, s);
      lower_solve(ctx, dL.get(), static_cast<int>(nc), static_cast<int>(cap), dUX.get(), P * T);
      kernels::pair_grams(dXp.get(), P, T, dZ.get(), fused ? 0 : M, kp, s2, dG.get(), dC.get(), s);
      const double minus_one = -1.0, one = 1.0;
      // G_q -= U_q^T U_q: the posterior covariance k_D given the conditioning set.
      AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, T, static_cast<int>(nc),
                                               &minus_one, dUX.get(), static_cast<int>(nc), nc * T, dUX.get(),
                                               static_cast<int>(nc), nc * T, &one, dG.get(), T, T * T,
                                               static_cast<int>(P)));
      if (fused) {
        // C_q = k(X_q, Z) - U_q^T U_Z, produced tile by tile inside the kernel.
        kernels::FusedCriterionArgs args = kernels::fused_args(dG.get(), P, T, M, dPrior.get(), dOmega.get(), floor,
                                                               dJ.get(), dGain.get(), dJit.get());
        args.rbf = {true, dXp.get(), dZ.get(), ds, dc, kp.neg_half_inv_ls2_state, kp.neg_half_inv_ls2_task,
                    kp.signal_variance};
        args.terms[0] = {kernels::StreamTermKind::Product, -1.0,
                         {dUX.get(), nc * T, nc, dUZ.get(), nc, static_cast<int>(nc)}, {}};
        args.num_terms = 1;
        kernels::fused_criterion(args, s);
      } else {
        AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, static_cast<int>(M),
                                                 static_cast<int>(nc), &minus_one, dUX.get(), static_cast<int>(nc),
                                                 nc * T, dUZ.get(), static_cast<int>(nc), 0, &one, dC.get(), T,
                                                 T * M, static_cast<int>(P)));
        kernels::criterion_tiles(dG.get(), dC.get(), P, T, M, dPrior.get(), dOmega.get(), floor, dJ.get(),
                                 dGain.get(), dJit.get(), s);
      }
      jittered += detail::add_pair_scores(pairs, q0, P, dJ.get(), dGain.get(), dJit.get(), s, J, gain);
      q0 = q1;
    }
    if (jittered > 0) spdlog::warn("amf cuda: {} candidate conditional Grams needed diagonal jitter", jittered);
    if (b == 0) {
      result.J = J;
      result.info_gain = gain;
    }
    if (!select) break;
    const detail::GreedyPick pick = detail::record_greedy_pick(J, cand_w.data(), R, result);
    const std::int64_t best = pick.candidate, pseudo = pick.trajectory;
    if (b + 1 == picks) break;

    // Rank-T block extension of the conditioning factor: L_new = [[L, 0], [W^T, C]] with
    // W = L^-1 k(Xc, Xnew) and C C^T = k(Xnew, Xnew) + s2 I - W^T W.
    const int T = static_cast<int>(pool.steps(pseudo));
    RowMatrix Xnew(T, dx);
    detail::relabel_trajectory(pool, pseudo, p.candidates.row(best), Xnew, 0);
    AMF_CUDA_TRY(cudaMemcpyAsync(dXc.get() + nc * dx, Xnew.data(), T * dx * sizeof(double), cudaMemcpyHostToDevice, s));
    DeviceBuffer<double> dW(nc * T), dSchur(T * T);
    kernels::rbf_gram(dXc.get(), nc, dXc.get() + nc * dx, T, kp, dW.get(), nc, s);
    lower_solve(ctx, dL.get(), static_cast<int>(nc), static_cast<int>(cap), dW.get(), T);
    kernels::rbf_gram(dXc.get() + nc * dx, T, dXc.get() + nc * dx, T, kp, dSchur.get(), T, s);
    kernels::add_diagonal(dSchur.get(), T, T, s2, s);
    const double minus_one = -1.0, one = 1.0, zero = 0.0;
    AMF_CUBLAS_TRY(cublasDgemm(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, T, static_cast<int>(nc), &minus_one, dW.get(),
                               static_cast<int>(nc), dW.get(), static_cast<int>(nc), &one, dSchur.get(), T));
    potrf(ctx, dSchur.get(), T, T, "the Schur complement of a conditioning update");
    // Rows nc..nc+T, columns 0..nc of L <- W^T (a transposing copy), then the T x T block <- C.
    AMF_CUBLAS_TRY(cublasDgeam(ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, static_cast<int>(nc), &one, dW.get(),
                               static_cast<int>(nc), &zero, dL.get() + nc, static_cast<int>(cap), dL.get() + nc,
                               static_cast<int>(cap)));
    AMF_CUDA_TRY(cudaMemcpy2DAsync(dL.get() + nc + nc * cap, cap * sizeof(double), dSchur.get(), T * sizeof(double),
                                   T * sizeof(double), T, cudaMemcpyDeviceToDevice, s));
    nc += T;
  }
  ctx.synchronize();
  return result;
}

CriterionResult CudaBackend::run(const FeatureCriterionProblem& p, bool select) {
  std::int64_t T_max = 0;
  for (std::int64_t i = 0; i + 1 < p.traj_offsets.size; ++i)
    T_max = std::max(T_max, p.traj_offsets[i + 1] - p.traj_offsets[i]);
  if (T_max > kernels::kMaxTile) {
    spdlog::warn("amf: trajectories of {} steps exceed the CUDA tile limit of {}; using the CPU backend", T_max,
                 kernels::kMaxTile);
    return CpuBackend().run(p, select);
  }
  return detail::feature_criterion_cuda(p, select, impl_->ctx, impl_->path);
}

}  // namespace amf
