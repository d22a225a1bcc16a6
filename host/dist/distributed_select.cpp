// Sharded selection: one session per rank over its shard, the one greedy driver with the MPI
// exchange (dist/mpi_exchange.hpp).
#include <cstdio>
#include <memory>

#include "amf/mpi/distributed.hpp"
#include "amf/error.hpp"
#include "cpu/cpu_backend.hpp"
#include "dist/mpi_exchange.hpp"

namespace amf {
namespace {

template <typename Problem>
CriterionResult select_sharded(const Problem& p, std::int64_t N, Backend& backend, MPI_Comm comm,
                               const SelectionControl& control) {
  detail::MpiExchange exchange(comm, N);
  std::unique_ptr<SelectionSession> session;
  exchange.run_local(
      [&] { session = detail::open_selection_session(backend, p, exchange.my_range(), /*select=*/true); });
  return detail::run_greedy(*session, p.batch_size, /*select=*/true, exchange, control);
}

}  // namespace

void shard_range(std::int64_t count, int rank, int size, std::int64_t* begin, std::int64_t* end) {
  *begin = count * rank / size;
  *end = count * (rank + 1) / size;
}

CriterionResult select_batch_distributed(const CriterionProblem& p, Backend& backend, MPI_Comm comm,
                                         const SelectionControl& control) {
  return select_sharded(p, p.candidates.rows, backend, comm, control);
}

CriterionResult select_batch_distributed(const FeatureCriterionProblem& p, Backend& backend, MPI_Comm comm,
                                         const SelectionControl& control) {
  return select_sharded(p, p.candidate_logp.rows, backend, comm, control);
}

CriterionResult select_batch_distributed(const CriterionProblem& p, MPI_Comm comm, int threads) {
  CpuBackend cpu(threads);
  return select_batch_distributed(p, cpu, comm);
}

int node_local_rank(MPI_Comm comm) {
  MPI_Comm node;
  detail::mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int rank = 0;
  MPI_Comm_rank(node, &rank);
  MPI_Comm_free(&node);
  return rank;
}

std::unique_ptr<Backend> make_rank_backend(BackendKind kind, BackendOptions options, MPI_Comm comm) {
  const int devices = cuda_device_count();
  if (kind != BackendKind::Cpu && devices > 1) options.cuda.device = node_local_rank(comm) % devices;
  return make_backend(kind, options);
}

void run_or_abort(MPI_Comm comm, const std::function<void()>& work, int exit_code) {
  try {
    work();
  } catch (const std::exception& e) {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    std::fprintf(stderr, "amf: rank %d: %s\n", rank, e.what());
    std::fflush(stderr);
    MPI_Abort(comm, exit_code);
  }
}

}  // namespace amf
