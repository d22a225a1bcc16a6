#pragma once
// The feature (AMF-NN) criterion on a CUDA device: weights and target occupancy on the host (as
// on the CPU, cpu/feature_targets.hpp), the Gram blocks of every (candidate, trajectory) pair
// and of this batch's picks as cuBLAS GEMMs (cuda/device_features.hpp), the conditioning on the
// picks with cuSOLVER/cuBLAS. The pairs' cross-covariance with the targets is streamed through the
// fused kernel from the per-layer factors (never materialised), or, on the Materialised path,
// built by cuBLAS and read by the tile kernel of AMF-GP. Pairs run in memory-bounded chunks of
// equal length. Needs T <= 64.
#include <memory>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"
#include "cuda/cuda_context.hpp"

namespace amf {
namespace detail {

// chunk_pairs as BackendOptions::cuda_chunk_pairs.
std::unique_ptr<SelectionSession> open_feature_session_cuda(const FeatureCriterionProblem& problem,
                                                            CandidateRange range, const CudaContext& ctx,
                                                            CudaCriterionPath path, std::int64_t chunk_pairs);

}  // namespace detail
}  // namespace amf
