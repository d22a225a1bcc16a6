#pragma once
// One big selection over several processes (libamf_mpi, target amf::mpi): candidates are sharded
// over the ranks of an MPI communicator in contiguous blocks; every rank opens a session of its
// backend (CPU or CUDA, AMF-GP or AMF-NN) on its shard, scores it, and one reduction per greedy
// pick names the winner, on which every rank conditions (all ranks hold the problem, so the pick
// travels as its score and index). The result, on every rank, equals select_batch on one process
// with the same backend: the same batch and every score bit for bit. Uneven shards, ranks with no
// candidates and more ranks than candidates all work. An error on any rank is raised on every
// rank (the failing rank rethrows its own exception, the others an amf::Error naming that rank
// and its message), so no rank waits forever in a collective.
#include <mpi.h>

#include <functional>
#include <memory>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/feature_problem.hpp"

namespace amf {

// Collective: every rank of `comm` calls it with the same problem.
// `control` as in select_batch; its time limit is decided on the slowest rank's estimate, so all
// ranks stop together.
CriterionResult select_batch_distributed(const CriterionProblem& problem, Backend& backend, MPI_Comm comm,
                                         const SelectionControl& control = {});
CriterionResult select_batch_distributed(const FeatureCriterionProblem& problem, Backend& backend, MPI_Comm comm,
                                         const SelectionControl& control = {});
// The CPU backend with `threads` workers per rank (0: one per core).
CriterionResult select_batch_distributed(const CriterionProblem& problem, MPI_Comm comm, int threads = 0);

// The contiguous block of candidates [begin, end) rank `rank` of `size` scores.
void shard_range(std::int64_t count, int rank, int size, std::int64_t* begin, std::int64_t* end);

// The rank of this process among the ranks of `comm` on the same node (MPI_COMM_TYPE_SHARED).
int node_local_rank(MPI_Comm comm);

// A backend for this rank: as make_backend, and for CUDA one device per rank on a node with
// several (device = node-local rank modulo the devices visible).
std::unique_ptr<Backend> make_rank_backend(BackendKind kind, BackendOptions options, MPI_Comm comm);

// Runs `work` on this rank. If it throws, the message goes to stderr prefixed with the rank and
// MPI_Abort(comm, exit_code) ends every rank of the job: what a command-line program does, so
// that a failure on one rank (a file only it cannot read) never leaves the others waiting.
void run_or_abort(MPI_Comm comm, const std::function<void()>& work, int exit_code = 1);

}  // namespace amf
