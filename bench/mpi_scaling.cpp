// Strong scaling of the sharded selection: run under `mpirun -np K`; every rank uses `threads`
// worker threads (argv[1], default 1). Times one select_batch_distributed on a fixed AMF-GP
// workload (argv[2..5]: N R T K, default 200 50 20 12, batch 4) and the MINLOC all-reduce a
// greedy step costs (the latency term of the communication model). Rank 0 prints one CSV row:
// ranks,threads,N,R,T,K,seconds,candidates_per_s,allreduce_us
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "amf/mpi/distributed.hpp"
#include "workloads.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int N = argc > 2 ? std::atoi(argv[2]) : 200, R = argc > 3 ? std::atoi(argv[3]) : 50;
  const int T = argc > 4 ? std::atoi(argv[4]) : 20, K = argc > 5 ? std::atoi(argv[5]) : 12;
  auto op = amf_bench::gp_workload(N, R, T, K);
  op.problem.batch_size = 4;

  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = amf::select_batch_distributed(op.problem, MPI_COMM_WORLD, threads);
  MPI_Barrier(MPI_COMM_WORLD);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  struct {
    double v;
    int i;
  } in{1.0 * rank, rank}, out{};
  const int reps = 2000;
  MPI_Barrier(MPI_COMM_WORLD);
  const auto a0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; ++k) MPI_Allreduce(&in, &out, 1, MPI_DOUBLE_INT, MPI_MINLOC, MPI_COMM_WORLD);
  const double us = std::chrono::duration<double>(std::chrono::steady_clock::now() - a0).count() / reps * 1e6;
  if (rank == 0)
    std::printf("%d,%d,%d,%d,%d,%d,%.3f,%.1f,%.2f\n", size, threads, N, R, T, K, s, N / s, us);
  (void)r;
  MPI_Finalize();
  return 0;
}
