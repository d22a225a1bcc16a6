#pragma once
// The greedy driver's exchange over MPI ranks (core/greedy_driver.hpp): per-candidate arrays
// gathered in rank order, the pick as the smallest (J, index) over ranks, and failures raised on
// every rank. Counts are 64-bit inside; what MPI's int arguments carry is checked.
#include <mpi.h>

#include "core/greedy_driver.hpp"

namespace amf {
namespace detail {

class MpiExchange final : public PickExchange {
 public:
  MpiExchange(MPI_Comm comm, std::int64_t num_candidates);
  int rank() const { return rank_; }
  int size() const { return size_; }
  CandidateRange my_range() const;

  void run_local(const std::function<void()>& work) override;
  std::vector<double> gather(const double* mine, std::int64_t range_size, std::int64_t width) override;
  ScoredCandidate best(const ScoredCandidate& mine) override;
  std::vector<double> from_owner(std::vector<double> mine, std::int64_t candidate) override;
  double agree_max(double mine) override;

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  std::int64_t N_;
};

// Throws amf::Error naming the call when an MPI call fails.
void mpi_check(int status, const char* what);

}  // namespace detail
}  // namespace amf
