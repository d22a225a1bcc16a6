// Run under mpirun: the sharded selection equals the single-process one, bit for bit, for both
// criteria, on problems whose candidate counts give uneven shards, empty shards and more ranks
// than candidates. argv[1] names the backend ("cpu" by default; "cuda" exits 77 = skipped where
// no device is visible). Exits non-zero (on every rank) on any difference.
#include <cstdio>
#include <vector>
#include <string>

#include "amf/backend.hpp"
#include "amf/mpi/distributed.hpp"
#include "feature_problem_fixture.hpp"
#include "problem_fixture.hpp"

namespace {

bool same(const amf::CriterionResult& a, const amf::CriterionResult& b) {
  return a.J == b.J && a.info_gain == b.info_gain && a.weights == b.weights && a.batch == b.batch &&
         a.batch_J == b.batch_J && a.pseudo_demo_trajectory == b.pseudo_demo_trajectory &&
         a.num_target_points == b.num_target_points;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const std::string name = argc > 1 ? argv[1] : "cpu";
  const amf::BackendKind kind = amf::parse_backend_kind(name);
  if (kind == amf::BackendKind::Cuda && amf::cuda_device_count() == 0) {
    std::printf("skipped: no CUDA device is visible\n");
    MPI_Finalize();
    return 77;
  }
  int rank = 0, size = 1, failures = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const auto backend = amf::make_rank_backend(kind, amf::BackendOptions{1}, MPI_COMM_WORLD);
  // Every rank computes the single-process reference itself, so every rank checks its own copy.
  auto check = [&](const amf::CriterionResult& dist, const amf::CriterionResult& ref, const char* what, int N) {
    const bool ok = same(dist, ref);
    if (rank == 0) std::printf("%s on %s, ranks %d, candidates %d: %s\n", what, name.c_str(), size, N,
                               ok ? "identical" : "DIFFERENT");
    failures += !ok;
  };
  for (int N : {1, 2, 7, 16}) {
    amf_test::OwnedProblem op({0.0, 0.5, 1.2, 2.5}, amf_test::evenly_spaced(N, 0.1), amf_test::evenly_spaced(6), 5);
    op.problem.batch_size = 3;
    const auto dist = amf::select_batch_distributed(op.problem, *backend, MPI_COMM_WORLD);
    check(dist, amf::select_batch(op.problem, *backend), "AMF-GP", N);
  }
  for (int N : {1, 2, 7, 11}) {
    for (bool factorised : {true, false}) {
      amf_test::OwnedFeatureProblem op(5, 4, N, 3, factorised, 11 + N);
      op.problem.batch_size = 3;
      const auto dist = amf::select_batch_distributed(op.problem, *backend, MPI_COMM_WORLD);
      check(dist, amf::select_batch(op.problem, *backend), factorised ? "AMF-NN factorised" : "AMF-NN embedding", N);
    }
    // Feature groups (parameter isolation): picks on one rank condition only their own group's
    // candidates on every rank, through the blocks its owner shares.
    amf_test::OwnedFeatureProblem op(5, 4, N, 3, true, 11 + N);
    op.problem.batch_size = 3;
    std::vector<std::int64_t> candidate_groups, target_groups{0, 1, 1};
    for (int c = 0; c < N; ++c) candidate_groups.push_back(c % 2);
    op.problem.candidate_groups = amf::VectorView<std::int64_t>(candidate_groups);
    op.problem.target_groups = amf::VectorView<std::int64_t>(target_groups);
    const auto dist = amf::select_batch_distributed(op.problem, *backend, MPI_COMM_WORLD);
    check(dist, amf::select_batch(op.problem, *backend), "AMF-NN with groups", N);
  }
  int worst = 0;
  MPI_Allreduce(&failures, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst == 0 ? 0 : 1;
}
