#pragma once
// One big selection over several processes (libamf_mpi, target amf::mpi): candidates are sharded
// over the ranks of an MPI communicator in contiguous blocks; every rank scores its shard, an
// MPI_MINLOC all-reduce picks each greedy pick, and every rank conditions on it (all ranks hold
// the problem, so the pick travels as 12 bytes: its score and index). The result, on every rank,
// equals select_batch on one process: the same batch and every score bit for bit. Uneven shards,
// ranks with no candidates and more ranks than candidates all work.
#include <mpi.h>

#include "amf/criterion.hpp"

namespace amf {

// Collective: every rank of `comm` calls it with the same problem.
CriterionResult select_batch_distributed(const CriterionProblem& problem, MPI_Comm comm, int threads = 0);

// The contiguous block of candidates [begin, end) rank `rank` of `size` scores.
void shard_range(std::int64_t count, int rank, int size, std::int64_t* begin, std::int64_t* end);

}  // namespace amf
