// Run under mpirun with 3 ranks: a failure on one rank reaches every rank.
//   library: rank 1's copy of the problem has a NaN candidate, so only rank 1's session fails to
//   open; select_batch_distributed must throw on every rank (rank 1 its own InvalidArgument naming
//   `candidates`, the others an amf::Error naming rank 1 and that message), and nobody hangs.
//   abort: with argument "abort", rank 2 throws inside run_or_abort, which must print the message
//   and end the whole job through MPI_Abort (the CTest script checks the exit code and output).
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "amf/mpi/distributed.hpp"
#include "amf/error.hpp"
#include "problem_fixture.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc > 1 && std::string(argv[1]) == "abort") {
    amf::run_or_abort(MPI_COMM_WORLD, [&] {
      if (rank == 2) throw amf::InvalidArgument("demos.h5: dataset 'data/demo_0/actions' is missing on this node");
      MPI_Barrier(MPI_COMM_WORLD);  // the other ranks wait here, as in a collective
    }, 5);
    MPI_Finalize();
    return 0;  // not reached when rank 2 aborts the job
  }
  amf_test::OwnedProblem op({0.0, 0.5, 1.2, 2.5}, amf_test::evenly_spaced(9, 0.1), amf_test::evenly_spaced(6), 5);
  op.problem.batch_size = 2;
  if (rank == 1) {
    op.candidates[4] = std::numeric_limits<double>::quiet_NaN();
    op.rebuild();
  }
  std::string message = "no exception";
  try {
    amf::select_batch_distributed(op.problem, MPI_COMM_WORLD, 1);
  } catch (const amf::Error& e) {
    message = e.what();
  }
  const bool named = message.find("candidates") != std::string::npos &&
                     (rank == 1 || message.find("rank 1 of") != std::string::npos);
  std::printf("rank %d: %s -> %s\n", rank, message.c_str(), named ? "ok" : "WRONG");
  int bad = !named, worst = 0;
  MPI_Allreduce(&bad, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
