#include "dist/mpi_exchange.hpp"

#include <algorithm>
#include <climits>
#include <exception>
#include <string>

#include "amf/mpi/distributed.hpp"
#include "amf/error.hpp"

namespace amf {
namespace detail {

void mpi_check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw Error(std::string("MPI error in ") + what + " (code " + std::to_string(status) + ")");
}

MpiExchange::MpiExchange(MPI_Comm comm, std::int64_t num_candidates) : comm_(comm), N_(num_candidates) {
  mpi_check(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
}

CandidateRange MpiExchange::my_range() const {
  CandidateRange r;
  shard_range(N_, rank_, size_, &r.begin, &r.end);
  return r;
}

void MpiExchange::run_local(const std::function<void()>& work) {
  std::exception_ptr error;
  std::string message;
  try {
    work();
  } catch (const std::exception& e) {
    error = std::current_exception();
    message = e.what();
  } catch (...) {
    error = std::current_exception();
    message = "unknown exception";
  }
  int mine = error ? rank_ : size_, first = size_;
  mpi_check(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_), "MPI_Allreduce(first failed rank)");
  if (first == size_) return;
  int length = static_cast<int>(message.size());
  mpi_check(MPI_Bcast(&length, 1, MPI_INT, first, comm_), "MPI_Bcast(error length)");
  message.resize(length);
  mpi_check(MPI_Bcast(message.data(), length, MPI_CHAR, first, comm_), "MPI_Bcast(error message)");
  if (rank_ == first) std::rethrow_exception(error);
  throw Error("rank " + std::to_string(first) + " of " + std::to_string(size_) + " failed: " + message);
}

std::vector<double> MpiExchange::gather(const double* mine, std::int64_t range_size, std::int64_t width) {
  // One MPI element per candidate (a contiguous type of `width` doubles), so the int counts and
  // displacements MPI takes are candidate counts, not N x width.
  if (N_ > INT_MAX || width > INT_MAX)
    throw InvalidArgument("select_batch_distributed: " + std::to_string(N_) + " candidates x " + std::to_string(width) +
                          " values exceed what one MPI gather addresses (2^31 - 1 candidates)");
  std::vector<double> out(N_ * width);
  if (width == 0) return out;
  std::vector<int> counts(size_), displs(size_);
  for (int r = 0; r < size_; ++r) {
    std::int64_t b, e;
    shard_range(N_, r, size_, &b, &e);
    counts[r] = static_cast<int>(e - b);
    displs[r] = static_cast<int>(b);
  }
  if (range_size != counts[rank_]) throw Error("select_batch_distributed: a rank's shard has the wrong size");
  MPI_Datatype row;
  mpi_check(MPI_Type_contiguous(static_cast<int>(width), MPI_DOUBLE, &row), "MPI_Type_contiguous");
  mpi_check(MPI_Type_commit(&row), "MPI_Type_commit");
  const int status = MPI_Allgatherv(mine, static_cast<int>(range_size), row, out.data(), counts.data(), displs.data(),
                                    row, comm_);
  MPI_Type_free(&row);
  mpi_check(status, "MPI_Allgatherv");
  return out;
}

ScoredCandidate MpiExchange::best(const ScoredCandidate& mine) {
  // Every rank's best as (J, 64-bit index); the smallest J, then the smallest index, as
  // min_element on one process.
  std::vector<ScoredCandidate> all(size_);
  mpi_check(MPI_Allgather(&mine, sizeof(ScoredCandidate), MPI_BYTE, all.data(), sizeof(ScoredCandidate), MPI_BYTE,
                          comm_),
            "MPI_Allgather(best candidate)");
  ScoredCandidate best = {0.0, -1};
  for (const ScoredCandidate& c : all) {
    if (c.candidate < 0) continue;
    if (best.candidate < 0 || c.J < best.J || (c.J == best.J && c.candidate < best.candidate)) best = c;
  }
  return best;
}

double MpiExchange::agree_max(double mine) {
  double all = mine;
  mpi_check(MPI_Allreduce(&mine, &all, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce(max)");
  return all;
}

std::vector<double> MpiExchange::from_owner(std::vector<double> mine, std::int64_t candidate) {
  int owner = 0;
  for (int r = 0; r < size_; ++r) {
    std::int64_t b, e;
    shard_range(N_, r, size_, &b, &e);
    if (candidate >= b && candidate < e) owner = r;
  }
  std::int64_t count = static_cast<std::int64_t>(mine.size());
  mpi_check(MPI_Bcast(&count, 1, MPI_INT64_T, owner, comm_), "MPI_Bcast(pick blocks size)");
  mine.resize(count);
  constexpr std::int64_t kChunk = std::int64_t{1} << 30;  // doubles per message: MPI counts are int
  for (std::int64_t at = 0; at < count; at += kChunk)
    mpi_check(MPI_Bcast(mine.data() + at, static_cast<int>(std::min(kChunk, count - at)), MPI_DOUBLE, owner, comm_),
              "MPI_Bcast(pick blocks)");
  return mine;
}

}  // namespace detail
}  // namespace amf
