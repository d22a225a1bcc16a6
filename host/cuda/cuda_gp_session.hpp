#pragma once
// The sessions of the CUDA backend (cuda_backend.hpp): AMF-GP (cuda_gp_session.cpp) and AMF-NN
// (cuda_feature_criterion.cpp). Both need trajectories of at most kernels::kMaxTile steps.
#include <memory>

#include "amf/backend.hpp"
#include "prep/pool_data.hpp"
#include "cuda/cuda_context.hpp"

namespace amf {
namespace detail {

// `pool` is the problem's gathered pool; T_max its longest trajectory; chunk_pairs as
// BackendOptions::cuda_chunk_pairs.
std::unique_ptr<SelectionSession> open_gp_session_cuda(const CriterionProblem& problem, CandidateRange range,
                                                       const CudaContext& ctx, CudaCriterionPath path,
                                                       PoolData pool, std::int64_t T_max, std::int64_t chunk_pairs);

}  // namespace detail
}  // namespace amf
