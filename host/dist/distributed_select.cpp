#include <algorithm>
#include <limits>
#include <vector>

#include "amf/distributed.hpp"
#include "amf/error.hpp"
#include "cpu/gp_session.hpp"

namespace amf {
namespace {

void mpi_check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw Error(std::string("MPI error in ") + what + " (code " + std::to_string(status) + ")");
}

// All ranks' shards of a per-candidate array, concatenated in rank order, on every rank.
std::vector<double> all_gather(const std::vector<double>& mine, std::int64_t total, MPI_Comm comm, int size) {
  std::vector<int> counts(size), displs(size);
  for (int r = 0; r < size; ++r) {
    std::int64_t b, e;
    shard_range(total, r, size, &b, &e);
    counts[r] = static_cast<int>(e - b);
    displs[r] = static_cast<int>(b);
  }
  std::vector<double> out(total);
  mpi_check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, out.data(), counts.data(),
                           displs.data(), MPI_DOUBLE, comm),
            "MPI_Allgatherv");
  return out;
}

}  // namespace

void shard_range(std::int64_t count, int rank, int size, std::int64_t* begin, std::int64_t* end) {
  *begin = count * rank / size;
  *end = count * (rank + 1) / size;
}

CriterionResult select_batch_distributed(const CriterionProblem& p, MPI_Comm comm, int threads) {
  validate(p, /*for_batch_selection=*/true);
  int rank = 0, size = 1;
  mpi_check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const std::int64_t N = p.candidates.rows, R = p.num_trajectories();
  if (N > std::numeric_limits<int>::max()) throw InvalidArgument("select_batch_distributed: more than 2^31 candidates");
  std::int64_t begin, end;
  shard_range(N, rank, size, &begin, &end);
  const MatrixView<double> shard(end > begin ? p.candidates.row(begin) : p.candidates.data, end - begin,
                                 p.candidates.cols, p.candidates.row_stride);
  detail::GpSelectionSession session(p, shard, threads);

  CriterionResult result;
  result.num_target_points = session.num_target_points();
  {  // every rank needs every candidate's weights to name the winner's pseudo-demonstration
    const auto& w = session.weights();
    std::vector<int> counts(size), displs(size);
    for (int r = 0; r < size; ++r) {
      std::int64_t b, e;
      shard_range(N, r, size, &b, &e);
      counts[r] = static_cast<int>((e - b) * R);
      displs[r] = static_cast<int>(b * R);
    }
    result.weights.resize(N * R);
    mpi_check(MPI_Allgatherv(w.data(), static_cast<int>(w.size()), MPI_DOUBLE, result.weights.data(), counts.data(),
                             displs.data(), MPI_DOUBLE, comm),
              "MPI_Allgatherv");
  }
  for (int b = 0; b < p.batch_size; ++b) {
    const detail::PassScores scores = session.pass();
    if (b == 0) {
      result.J = all_gather(scores.J, N, comm, size);
      result.info_gain = all_gather(scores.info_gain, N, comm, size);
    }
    // MINLOC: the smallest J, and on ties the smallest global index, as min_element on one process.
    struct {
      double value;
      int index;
    } local{std::numeric_limits<double>::infinity(), std::numeric_limits<int>::max()}, global{};
    for (std::int64_t c = 0; c < end - begin; ++c)
      if (scores.J[c] < local.value) local = {scores.J[c], static_cast<int>(begin + c)};
    mpi_check(MPI_Allreduce(&local, &global, 1, MPI_DOUBLE_INT, MPI_MINLOC, comm), "MPI_Allreduce(MINLOC)");
    const std::int64_t best = global.index;
    const double* w = result.weights.data() + best * R;
    const std::int64_t pseudo = std::max_element(w, w + R) - w;
    result.batch.push_back(best);
    result.batch_J.push_back(global.value);
    result.pseudo_demo_trajectory.push_back(pseudo);
    if (b + 1 < p.batch_size) session.condition_on(p.candidates.row(best), pseudo);
  }
  return result;
}

}  // namespace amf
