// The CUDA backend opens the CUDA sessions on its context, or the CPU ones (with a warning) for
// trajectories longer than the kernels' tile limit.
#include "cuda/cuda_backend.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cpu/cpu_backend.hpp"
#include "cpu/feature_criterion.hpp"
#include "cpu/cross_covariance_cache.hpp"
#include "cpu/gp_session.hpp"
#include "cuda/cuda_context.hpp"
#include "cuda/cuda_feature_criterion.hpp"
#include "cuda/cuda_gp_session.hpp"
#include "criterion_tile.cuh"

namespace amf {
namespace {

std::int64_t longest_trajectory(const VectorView<std::int64_t>& off) {
  std::int64_t T_max = 0;
  for (std::int64_t i = 0; i + 1 < off.size; ++i) T_max = std::max(T_max, off[i + 1] - off[i]);
  return T_max;
}

bool beyond_tile_limit(std::int64_t T_max) {
  if (T_max <= kernels::kMaxTile) return false;
  spdlog::warn("amf: trajectories of {} steps exceed the CUDA tile limit of {}; using the CPU backend", T_max,
               kernels::kMaxTile);
  return true;
}

}  // namespace

struct CudaBackend::Impl {
  explicit Impl(const BackendOptions& o) : ctx(o.cuda), path(o.cuda_criterion), cpu_threads(o.cpu_threads),
        cpu_cache_budget(detail::resolve_session_budget(o.session_cache_bytes)), chunk_pairs(o.cuda_chunk_pairs) {
    if (chunk_pairs < 0) throw InvalidArgument("BackendOptions::cuda_chunk_pairs is negative");
  }
  detail::CudaContext ctx;
  CudaCriterionPath path;
  int cpu_threads;
  std::int64_t cpu_cache_budget;  // for the CPU sessions it falls back to
  std::int64_t chunk_pairs;
};

CudaBackend::CudaBackend(const BackendOptions& options) : impl_(std::make_unique<Impl>(options)) {}
CudaBackend::~CudaBackend() = default;

std::unique_ptr<SelectionSession> CudaBackend::open_validated(const CriterionProblem& p, CandidateRange range) {
  const std::int64_t T_max = longest_trajectory(p.traj_offsets);
  if (beyond_tile_limit(T_max)) return std::make_unique<detail::GpSelectionSession>(p, range, impl_->cpu_threads,
                                                                           impl_->cpu_cache_budget);
  return detail::open_gp_session_cuda(p, range, impl_->ctx, impl_->path, detail::gather_pool(p), T_max,
                                      impl_->chunk_pairs);
}

std::unique_ptr<SelectionSession> CudaBackend::open_validated(const FeatureCriterionProblem& p, CandidateRange range) {
  if (beyond_tile_limit(longest_trajectory(p.traj_offsets))) {
    // The CPU session reads host float64: CUDA candidate features are copied back.
    auto host = std::make_shared<ResolvedFeatureProblem>();
    resolve_views(p, /*keep_device_features=*/false, *host);
    auto session = detail::open_feature_session_cpu(host->problem, range, impl_->cpu_threads, impl_->cpu_cache_budget);
    session->keep_alive(std::move(host));
    return session;
  }
  return detail::open_feature_session_cuda(p, range, impl_->ctx, impl_->path, impl_->chunk_pairs);
}

}  // namespace amf
