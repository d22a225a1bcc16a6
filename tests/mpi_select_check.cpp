// Run under mpirun: the sharded selection equals the single-process one, bit for bit, on problems
// whose candidate counts give uneven shards, empty shards and more ranks than candidates.
// Exits non-zero (from rank 0) on any difference.
#include <cstdio>

#include "amf/backend.hpp"
#include "amf/distributed.hpp"
#include "problem_fixture.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1, failures = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (int N : {1, 2, 7, 16}) {
    amf_test::OwnedProblem op({0.0, 0.5, 1.2, 2.5}, amf_test::evenly_spaced(N, 0.1), amf_test::evenly_spaced(6), 5);
    op.problem.batch_size = 3;
    const auto dist = amf::select_batch_distributed(op.problem, MPI_COMM_WORLD, 1);
    if (rank == 0) {
      auto cpu = amf::make_backend(amf::BackendKind::Cpu, amf::BackendOptions{1});
      const auto ref = amf::select_batch(op.problem, *cpu);
      const bool same = dist.J == ref.J && dist.info_gain == ref.info_gain && dist.weights == ref.weights &&
                        dist.batch == ref.batch && dist.batch_J == ref.batch_J &&
                        dist.pseudo_demo_trajectory == ref.pseudo_demo_trajectory &&
                        dist.num_target_points == ref.num_target_points;
      std::printf("ranks %d, candidates %d: %s\n", size, N, same ? "identical" : "DIFFERENT");
      failures += !same;
    }
  }
  MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
