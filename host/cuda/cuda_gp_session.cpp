// The AMF-GP criterion's session on a CUDA device (cuda_backend.hpp): the GP fit, importance
// weights and target occupancy once when the session opens; per score() the prior variances of the
// targets under the current conditioning and every kept pair in memory-bounded chunks; per pick a
// rank-T block extension of the conditioning factor on the device. Device buffers live in the
// session: chunk buffers grow to the largest chunk once and are reused by every later chunk and
// greedy step. Chunks hold pairs of one length in whole waves of the criterion kernel
// (prep/pair_chunks.hpp); every pair's J, gain and jitter stay on the device until the pass's
// per-candidate weighted sums (CUB), so chunks run back to back without a synchronisation.
#include "cuda/cuda_gp_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "amf/error.hpp"
#include "prep/pool_data.hpp"
#include "prep/target_occupancy.hpp"
#include "cuda/device_chunk_limit.hpp"
#include "cuda/device_linalg.hpp"
#include "cuda/kernel_clock.hpp"
#include "cuda/pair_scores.hpp"
#include "fused_launch.cuh"
#include "gp_kernels.cuh"
#include "prep/pair_chunks.hpp"
#include "prior_update.cuh"
#include "tile_math.cuh"

namespace amf {
namespace detail {
namespace {

constexpr double kChunkBytes = 1024.0 * 1024 * 1024;  // bound on each materialised block

class CudaGpSession final : public SelectionSession {
 public:
  CudaGpSession(const CriterionProblem& p, CandidateRange range, const CudaContext& ctx, CudaCriterionPath path,
                PoolData pool, std::int64_t T_max, std::int64_t chunk_pairs);

  MatrixView<double> weights() const override { return MatrixView<double>(cand_w_.data(), cand_w_.rows(), cand_w_.cols()); }
  std::int64_t num_target_points() const override { return M_; }
  PassScores score_pass(bool with_info_gain) override;
  void condition_pick(std::int64_t candidate, std::int64_t trajectory, const std::vector<double>& blocks) override;

 private:
  // Per-trajectory clipped log-likelihood sums of the pool relabelled with `count` tasks.
  void loglik_sums(const double* dPoints, std::int64_t count, double* dSums);
  // Importance weights (count x R) of tasks given as rows of `tasks` (count x dc, compact).
  RowMatrix weights_of(const std::vector<double>& tasks, std::int64_t count);
  void update_prior();
  // Pairs of T steps a chunk may hold (kChunkBytes over its U_X columns, Gram and, on the
  // materialised path, cross-covariance) and one wave of the kernel that scores them.
  ChunkLimit chunk_limit(std::int64_t T) const;

  const CriterionProblem& p_;
  const CudaContext& ctx_;
  const CudaCriterionPath path_;
  const std::int64_t chunk_pairs_;  // BackendOptions::cuda_chunk_pairs
  const PoolData pool_;
  const std::int64_t R_, n_;
  const int ds_, da_, dc_, dx_;
  const kernels::RbfParams kp_;
  const double s2_, sf2_;
  const std::int64_t cap_;  // conditioning capacity: pool + pseudo-demonstrations
  std::int64_t nc_;         // rows of the conditioning set now
  DeviceBuffer<double> dXc_, dS_, dA_, dAlpha_, dL_, dOwn_;
  DeviceBuffer<std::int64_t> dOff_;
  RowMatrix cand_w_;
  TargetOccupancy occ_;
  std::int64_t M_ = 0;
  DeviceBuffer<double> dZ_, dOmega_, dUZ_, dPrior_;
  std::vector<CandidatePair> pairs_;
  // Chunk buffers, reused.
  DeviceBuffer<double> dXp_, dUX_, dG_, dC_;
  // Per pair of the pass (length order), and the candidate-order segments of the weighted sums.
  DevicePassScores scores_;
  DeviceBuffer<unsigned char> reduce_scratch_;
  KernelTimings timings_;
};

CudaGpSession::CudaGpSession(const CriterionProblem& p, CandidateRange range, const CudaContext& ctx,
                             CudaCriterionPath path, PoolData pool, std::int64_t T_max, std::int64_t chunk_pairs)
    : SelectionSession(range), p_(p), ctx_(ctx), path_(path), chunk_pairs_(chunk_pairs), pool_(std::move(pool)), R_(pool_.num_trajectories()),
      n_(pool_.X.rows()), ds_(pool_.state_dim), da_(pool_.action_dim), dc_(pool_.task_dim), dx_(ds_ + dc_),
      kp_{ds_, dc_, -0.5 / (p.kernel.state_lengthscale * p.kernel.state_lengthscale),
          -0.5 / (p.kernel.task_lengthscale * p.kernel.task_lengthscale), p.kernel.signal_variance},
      s2_(p.noise_variance), sf2_(p.kernel.signal_variance),
      cap_(n_ + std::max(p.batch_size - 1, 0) * T_max), nc_(n_), dXc_(cap_ * dx_), dS_(n_ * ds_), dA_(n_ * da_),
      dAlpha_(n_ * da_), dL_(cap_ * cap_), dOwn_(R_), dOff_(R_ + 1) {
  const cudaStream_t s = ctx_.stream();
  const std::int64_t n = n_, N = range.size(), K = p.targets.rows;
  // Pool on the device.
  std::vector<double> states(n * ds_), actions(n * da_), Ycol(n * da_), tasks_c(N * dc_), tasks_t(K * dc_);
  for (std::int64_t r = 0; r < n; ++r) {
    for (int d = 0; d < ds_; ++d) states[r * ds_ + d] = pool_.X(r, d);
    for (int d = 0; d < da_; ++d) actions[r * da_ + d] = Ycol[r + d * n] = pool_.Y(r, d);
  }
  for (std::int64_t c = 0; c < N; ++c) std::copy_n(p.candidates.row(range.begin + c), dc_, tasks_c.data() + c * dc_);
  for (std::int64_t c = 0; c < K; ++c) std::copy_n(p.targets.row(c), dc_, tasks_t.data() + c * dc_);
  upload(dXc_, pool_.X.data(), n * dx_, s);
  upload(dS_, states.data(), states.size(), s);
  upload(dA_, actions.data(), actions.size(), s);
  upload(dAlpha_, Ycol.data(), Ycol.size(), s);
  upload(dOff_, pool_.offsets.data(), pool_.offsets.size(), s);

  // GP fit: L L^T = K + s2 I, alpha = (K + s2 I)^-1 Y.
  kernels::rbf_gram(dXc_.get(), n, dXc_.get(), n, kp_, dL_.get(), cap_, s);
  kernels::add_diagonal(dL_.get(), n, cap_, s2_, s);
  potrf(ctx_, dL_.get(), static_cast<int>(n), static_cast<int>(cap_), "the GP Gram k(X, X) + noise I");
  {
    DeviceBuffer<int> info(1);
    AMF_CUSOLVER_TRY(cusolverDnDpotrs(ctx_.solver(), CUBLAS_FILL_MODE_LOWER, static_cast<int>(n), da_, dL_.get(),
                                      static_cast<int>(cap_), dAlpha_.get(), static_cast<int>(n), info.get()));
    const int status = download(info.get(), 1, s)[0];
    if (status != 0)
      throw NumericalError("CUDA backend: solving the GP for its mean failed (cuSOLVER potrs info " +
                           std::to_string(status) + ")");
  }

  loglik_sums(dXc_.get(), 1, dOwn_.get());
  cand_w_ = weights_of(tasks_c, N);
  const RowMatrix target_w = weights_of(tasks_t, K);

  // Target occupancy and the kept (candidate, trajectory) pairs, on the host (small).
  occ_ = target_occupancy(pool_, p, target_w);
  M_ = occ_.points.rows();
  dZ_ = DeviceBuffer<double>(M_ * dx_);
  dOmega_ = DeviceBuffer<double>(M_);
  dUZ_ = DeviceBuffer<double>(cap_ * M_);
  dPrior_ = DeviceBuffer<double>(M_);
  upload(dZ_, occ_.points.data(), M_ * dx_, s);
  upload(dOmega_, occ_.weight.data(), M_, s);
  pairs_ = kept_pairs(cand_w_.data(), N, R_, p.min_weight);
  for (CandidatePair& q : pairs_) q.candidate += range.begin;
  sort_pairs_by_length(pairs_, pool_.offsets.data());
  scores_.prepare(pairs_, range.begin, N, s);  // synchronises the uploads above too
}

ChunkLimit CudaGpSession::chunk_limit(std::int64_t T) const {
  const bool fused = path_ == CudaCriterionPath::Fused;
  const double bytes = 8.0 * T * (nc_ + T + (fused ? 0 : M_) + dx_);
  return device_chunk_limit(kChunkBytes, bytes, T, fused, chunk_pairs_, ctx_);
}

void CudaGpSession::loglik_sums(const double* dPoints, std::int64_t count, double* dSums) {
  const cudaStream_t s = ctx_.stream();
  const std::int64_t n = n_, cols = count * n;
  DeviceBuffer<double> kx(n * cols), mean(cols * da_), usq(cols);
  kernels::rbf_gram(dXc_.get(), n, dPoints, cols, kp_, kx.get(), n, s);
  const double one = 1.0, zero = 0.0;
  AMF_CUBLAS_TRY(cublasDgemm(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(cols), da_, static_cast<int>(n),
                             &one, kx.get(), static_cast<int>(n), dAlpha_.get(), static_cast<int>(n), &zero,
                             mean.get(), static_cast<int>(cols)));
  lower_solve(ctx_, dL_.get(), static_cast<int>(n), static_cast<int>(cap_), kx.get(), cols);
  kernels::column_squared_norms(kx.get(), n, cols, usq.get(), s);
  kernels::trajectory_loglik(dA_.get(), n, da_, mean.get(), usq.get(), sf2_, s2_, p_.clip.lo, p_.clip.hi, dOff_.get(),
                             R_, count, dSums, s);
}

RowMatrix CudaGpSession::weights_of(const std::vector<double>& tasks, std::int64_t count) {
  const cudaStream_t s = ctx_.stream();
  const std::int64_t n = n_;
  RowMatrix W(count, R_);
  const std::int64_t chunk =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(kChunkBytes / (8.0 * n * (n + dx_ + da_ + 1))));
  DeviceBuffer<double> dTasks(std::max<std::size_t>(tasks.size(), 1));
  upload(dTasks, tasks.data(), tasks.size(), s);
  for (std::int64_t c0 = 0; c0 < count; c0 += chunk) {
    const std::int64_t m = std::min(chunk, count - c0);
    DeviceBuffer<double> points(m * n * dx_), sums(m * R_);
    kernels::relabel_pool(dS_.get(), n, ds_, dTasks.get() + c0 * dc_, m, dc_, points.get(), s);
    loglik_sums(points.get(), m, sums.get());
    kernels::softmax_rows(sums.get(), dOwn_.get(), m, R_, s);
    const auto h = download(sums.get(), m * R_, s);
    std::copy(h.begin(), h.end(), W.data() + c0 * R_);
  }
  return W;
}

void CudaGpSession::update_prior() {
  // Prior variances of the targets under the current conditioning set.
  const cudaStream_t s = ctx_.stream();
  kernels::rbf_gram(dXc_.get(), nc_, dZ_.get(), M_, kp_, dUZ_.get(), nc_, s);
  lower_solve(ctx_, dL_.get(), static_cast<int>(nc_), static_cast<int>(cap_), dUZ_.get(), M_);
  kernels::column_squared_norms(dUZ_.get(), nc_, M_, dPrior_.get(), s);
  kernels::subtract_from(sf2_, dPrior_.get(), M_, s);
}

PassScores CudaGpSession::score_pass(bool /*with_info_gain: both come from the same kernel*/) {
  ctx_.make_current();
  const cudaStream_t s = ctx_.stream();
  const std::int64_t nc = nc_, M = M_;
  const int dx = dx_;
  update_prior();
  const double floor = tile::variance_floor(sf2_);
  // Pairs in chunks: each holds U_X (nc x P T) and G (P T^2); the materialised path also
  // C (P T M). Pairs of different lengths run in separate chunks.
  const bool fused = path_ == CudaCriterionPath::Fused;
  const std::vector<PairChunk> chunks =
      plan_pair_chunks(pairs_, pool_.offsets.data(), [&](std::int64_t T) { return chunk_limit(T); });
  std::int64_t most_rows = 0, most_gram = 0;
  for (const PairChunk& c : chunks) {
    most_rows = std::max(most_rows, c.size() * c.steps);
    most_gram = std::max(most_gram, c.size() * c.steps * c.steps);
  }
  // Sized before the first chunk: growing mid-pass would free buffers (a device synchronisation).
  dXp_.grow_to(most_rows * dx);
  dUX_.grow_to(nc * most_rows);
  dG_.grow_to(most_gram);
  if (!fused) dC_.grow_to(most_rows * M);
  for (const PairChunk& chunk : chunks) {
    const std::size_t q0 = chunk.begin;
    const int T = static_cast<int>(chunk.steps);
    const std::int64_t P = chunk.size();
    double *J = scores_.J(q0), *gain = scores_.gain(q0), *jitter = scores_.jitter(q0);
    RowMatrix Xp(P * T, dx);
    for (std::int64_t q = 0; q < P; ++q)
      relabel_trajectory(pool_, pairs_[q0 + q].trajectory, p_.candidates.row(pairs_[q0 + q].candidate), Xp, q * T);
    // Pageable, so the copy returns once the driver has staged it; on stream s it waits for the
    // kernels of the previous chunk, which read dXp_.
    upload(dXp_, Xp.data(), P * T * dx, s);
    kernels::rbf_gram(dXc_.get(), nc, dXp_.get(), P * T, kp_, dUX_.get(), nc, s);
    lower_solve(ctx_, dL_.get(), static_cast<int>(nc), static_cast<int>(cap_), dUX_.get(), P * T);
    kernels::pair_grams(dXp_.get(), P, T, dZ_.get(), fused ? 0 : M, kp_, s2_, dG_.get(), fused ? nullptr : dC_.get(), s);
    const double minus_one = -1.0, one = 1.0;
    // G_q -= U_q^T U_q: the posterior covariance k_D given the conditioning set.
    AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, T, static_cast<int>(nc),
                                             &minus_one, dUX_.get(), static_cast<int>(nc), nc * T, dUX_.get(),
                                             static_cast<int>(nc), nc * T, &one, dG_.get(), T, T * T,
                                             static_cast<int>(P)));
    if (fused) {
      // C_q = k(X_q, Z) - U_q^T U_Z, produced tile by tile inside the kernel.
      kernels::FusedCriterionArgs args =
          kernels::fused_args(dG_.get(), P, T, M, dPrior_.get(), dOmega_.get(), floor, J, gain, jitter);
      args.rbf = {true, dXp_.get(), dZ_.get(), ds_, dc_, kp_.neg_half_inv_ls2_state, kp_.neg_half_inv_ls2_task,
                  kp_.signal_variance};
      args.terms[0] = {kernels::StreamTermKind::Product, -1.0,
                       {dUX_.get(), nc * T, nc, dUZ_.get(), nc, static_cast<int>(nc)}, {}};
      args.num_terms = 1;
      timings_.start(s);
      kernels::fused_criterion(args, s);
      timings_.stop(s);
    } else {
      AMF_CUBLAS_TRY(cublasDgemmStridedBatched(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, static_cast<int>(M),
                                               static_cast<int>(nc), &minus_one, dUX_.get(), static_cast<int>(nc),
                                               nc * T, dUZ_.get(), static_cast<int>(nc), 0, &one, dC_.get(), T,
                                               T * M, static_cast<int>(P)));
      timings_.start(s);
      kernels::criterion_tiles(dG_.get(), dC_.get(), P, T, M, dPrior_.get(), dOmega_.get(), floor, J, gain, jitter,
                               s);
      timings_.stop(s);
    }
  }
  PassScores out = scores_.sum(pairs_, reduce_scratch_, s);
  timings_.add_to_clock();
  return out;
}

void CudaGpSession::condition_pick(std::int64_t candidate, std::int64_t trajectory,
                                   const std::vector<double>& /*blocks: none shared*/) {
  ctx_.make_current();
  const cudaStream_t s = ctx_.stream();
  const std::int64_t nc = nc_;
  const int T = static_cast<int>(pool_.steps(trajectory));
  if (nc + T > cap_)
    throw Error("CUDA backend: conditioning on more picks than the problem's batch_size (" +
                std::to_string(p_.batch_size) + ") allows");
  // Rank-T block extension of the conditioning factor: L_new = [[L, 0], [W^T, C]] with
  // W = L^-1 k(Xc, Xnew) and C C^T = k(Xnew, Xnew) + s2 I - W^T W.
  RowMatrix Xnew(T, dx_);
  relabel_trajectory(pool_, trajectory, p_.candidates.row(candidate), Xnew, 0);
  AMF_CUDA_TRY(cudaMemcpyAsync(dXc_.get() + nc * dx_, Xnew.data(), T * dx_ * sizeof(double), cudaMemcpyHostToDevice, s));
  DeviceBuffer<double> dW(nc * T), dSchur(T * T);
  kernels::rbf_gram(dXc_.get(), nc, dXc_.get() + nc * dx_, T, kp_, dW.get(), nc, s);
  lower_solve(ctx_, dL_.get(), static_cast<int>(nc), static_cast<int>(cap_), dW.get(), T);
  kernels::rbf_gram(dXc_.get() + nc * dx_, T, dXc_.get() + nc * dx_, T, kp_, dSchur.get(), T, s);
  kernels::add_diagonal(dSchur.get(), T, T, s2_, s);
  const double minus_one = -1.0, one = 1.0, zero = 0.0;
  AMF_CUBLAS_TRY(cublasDgemm(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, T, static_cast<int>(nc), &minus_one, dW.get(),
                             static_cast<int>(nc), dW.get(), static_cast<int>(nc), &one, dSchur.get(), T));
  potrf(ctx_, dSchur.get(), T, T, "the Schur complement of a conditioning update");
  // Rows nc..nc+T, columns 0..nc of L <- W^T (a transposing copy), then the T x T block <- C.
  AMF_CUBLAS_TRY(cublasDgeam(ctx_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, T, static_cast<int>(nc), &one, dW.get(),
                             static_cast<int>(nc), &zero, dL_.get() + nc, static_cast<int>(cap_), dL_.get() + nc,
                             static_cast<int>(cap_)));
  AMF_CUDA_TRY(cudaMemcpy2DAsync(dL_.get() + nc + nc * cap_, cap_ * sizeof(double), dSchur.get(), T * sizeof(double),
                                 T * sizeof(double), T, cudaMemcpyDeviceToDevice, s));
  nc_ += T;
  ctx_.synchronize();
}

}  // namespace

std::unique_ptr<SelectionSession> open_gp_session_cuda(const CriterionProblem& p, CandidateRange range,
                                                       const CudaContext& ctx, CudaCriterionPath path,
                                                       PoolData pool, std::int64_t T_max, std::int64_t chunk_pairs) {
  ctx.make_current();  // before the session's members allocate device memory
  ctx.order_after_caller();  // the caller's writes to its inputs land before the session reads them
  return std::make_unique<CudaGpSession>(p, range, ctx, path, std::move(pool), T_max, chunk_pairs);
}

}  // namespace detail
}  // namespace amf
