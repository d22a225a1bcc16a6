#pragma once
// Gram blocks of the loss-gradient kernel between row subsets of two FeatureSets: a few GEMMs
// and a Hadamard product per layer (the factorised form), or one GEMM (explicit embeddings).
#include <cstdint>
#include <vector>

#include "amf/features.hpp"
#include "gp/gp_math.hpp"

namespace amf {
namespace detail {

// k(A[ia[r]], B[ib[s]]) as a (ia.size() x ib.size()) matrix. Throws InvalidArgument when the two
// sets do not have the same form and widths.
RowMatrix feature_gram(const FeatureSet& A, const std::vector<std::int64_t>& ia, const FeatureSet& B,
                       const std::vector<std::int64_t>& ib);

// The diagonal k(A[i], A[i]) for the rows ia.
Eigen::VectorXd feature_diagonal(const FeatureSet& A, const std::vector<std::int64_t>& ia);

}  // namespace detail
}  // namespace amf
