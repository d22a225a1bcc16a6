// The selection session and its public entries: every backend's entry validates, a session over a
// range of the candidates scores them exactly as the whole problem's session does, conditioning
// through the session matches select_batch, and launch detection reads the launchers' variables.
// Engine only (the GPU check runs it too).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/error.hpp"
#include "expect_error.hpp"
#include "amf/launch.hpp"
#include "amf/session.hpp"
#include "feature_problem_fixture.hpp"
#include "problem_fixture.hpp"

namespace {

// Every backend this build can run here (CUDA only with a device).
std::vector<amf::BackendKind> runnable_backends() {
  std::vector<amf::BackendKind> kinds{amf::BackendKind::Cpu};
  if (amf::cuda_compiled() && amf::cuda_device_count() > 0) kinds.push_back(amf::BackendKind::Cuda);
  return kinds;
}

using amf_test::expect_invalid_argument_naming;

TEST(Session, EveryBackendsPublicEntryValidatesGp) {
  for (const auto kind : runnable_backends()) {
    auto backend = amf::make_backend(kind, amf::BackendOptions{1});
    SCOPED_TRACE(backend->name());
    amf_test::OwnedProblem op({0.0, 1.0, 2.0}, {0.5, 1.5, 2.5}, {0.0, 3.0});
    op.candidates[3] = std::numeric_limits<double>::quiet_NaN();
    op.rebuild();
    expect_invalid_argument_naming([&] { backend->open_session(op.problem); }, "candidates[1][1]");
    expect_invalid_argument_naming([&] { backend->open_session(op.problem, {0, 1}); }, "candidates[1][1]");
    expect_invalid_argument_naming([&] { amf::select_batch(op.problem, *backend); }, "candidates[1][1]");
    expect_invalid_argument_naming([&] { amf::evaluate_criterion(op.problem, *backend); }, "candidates[1][1]");
  }
}

TEST(Session, EveryBackendsPublicEntryValidatesFeatures) {
  for (const auto kind : runnable_backends()) {
    auto backend = amf::make_backend(kind, amf::BackendOptions{1});
    SCOPED_TRACE(backend->name());
    amf_test::OwnedFeatureProblem op(3, 4, 5, 2, false);
    double* logp = const_cast<double*>(static_cast<const double*>(op.problem.target_logp.data));
    logp[5] = std::nan("");
    expect_invalid_argument_naming([&] { backend->open_session(op.problem); }, "target_logp");
    expect_invalid_argument_naming([&] { amf::select_batch(op.problem, *backend); }, "target_logp");
  }
}

TEST(Session, RangeOutsideTheProblemIsNamed) {
  auto backend = amf::make_backend(amf::BackendKind::Cpu, amf::BackendOptions{1});
  amf_test::OwnedProblem op({0.0, 1.0}, {0.5, 1.5}, {0.0});
  for (const amf::CandidateRange r : {amf::CandidateRange{-1, 1}, amf::CandidateRange{1, 3}, amf::CandidateRange{2, 1}})
    EXPECT_THROW(backend->open_session(op.problem, r), amf::InvalidArgument);
}

template <typename Problem>
void expect_ranges_tile_the_whole(const Problem& p, std::int64_t N) {
  auto backend = amf::make_backend(amf::BackendKind::Cpu, amf::BackendOptions{2});
  const auto whole = backend->open_session(p);
  const amf::PassScores all = whole->score();
  for (const amf::CandidateRange r : {amf::CandidateRange{0, N / 3}, amf::CandidateRange{N / 3, N},
                                      amf::CandidateRange{N / 2, N / 2}}) {
    const auto part = backend->open_session(p, r);
    const amf::PassScores s = part->score();
    ASSERT_EQ(static_cast<std::int64_t>(s.J.size()), r.size());
    ASSERT_EQ(part->weights().rows, r.size());
    ASSERT_EQ(part->weights().cols, whole->weights().cols);
    EXPECT_EQ(part->num_target_points(), whole->num_target_points());
    for (std::int64_t c = 0; c < r.size(); ++c) {
      EXPECT_EQ(s.J[c], all.J[r.begin + c]);  // bit for bit: per-candidate sums in a fixed order
      EXPECT_EQ(s.info_gain[c], all.info_gain[r.begin + c]);
      for (std::int64_t i = 0; i < part->weights().cols; ++i)
        EXPECT_EQ(part->weights()(c, i), whole->weights()(r.begin + c, i));
    }
  }
}

TEST(Session, RangesScoreAsTheWholeProblemGp) {
  amf_test::OwnedProblem op({0.0, 0.7, 1.9, 3.1}, amf_test::evenly_spaced(11, 0.2), amf_test::evenly_spaced(5), 5);
  expect_ranges_tile_the_whole(op.problem, 11);
}

TEST(Session, RangesScoreAsTheWholeProblemFeatures) {
  amf_test::OwnedFeatureProblem op(4, 3, 10, 3, true);
  expect_ranges_tile_the_whole(op.problem, 10);
}

// Driving a session by hand (score, pick the smallest J, condition on it) reproduces select_batch.
template <typename Problem>
void expect_manual_greedy_matches(Problem p) {
  auto backend = amf::make_backend(amf::BackendKind::Cpu, amf::BackendOptions{1});
  p.batch_size = 3;
  const amf::CriterionResult ref = amf::select_batch(p, *backend);
  const auto session = backend->open_session(p);
  const amf::MatrixView<double> w = session->weights();
  for (int b = 0; b < 3; ++b) {
    const amf::PassScores s = session->score();
    const auto best = std::min_element(s.J.begin(), s.J.end()) - s.J.begin();
    const double* row = w.row(best);
    const auto pseudo = std::max_element(row, row + w.cols) - row;
    EXPECT_EQ(best, ref.batch[b]);
    EXPECT_EQ(s.J[best], ref.batch_J[b]);
    EXPECT_EQ(pseudo, ref.pseudo_demo_trajectory[b]);
    session->condition_on(best, pseudo);
  }
}

TEST(Session, ManualGreedyMatchesSelectBatch) {
  amf_test::OwnedProblem op({0.0, 0.7, 1.9, 3.1}, amf_test::evenly_spaced(9, 0.2), amf_test::evenly_spaced(5), 5);
  expect_manual_greedy_matches(op.problem);
  amf_test::OwnedFeatureProblem fp(4, 3, 8, 3, true);
  expect_manual_greedy_matches(fp.problem);
}

amf::LaunchInfo launch_with(const std::map<std::string, std::string>& vars) {
  return amf::detect_launch([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(Launch, ReadsEachLaunchersVariables) {
  EXPECT_FALSE(launch_with({}).parallel);
  // sbatch's batch script: Slurm job variables but no job step, so not a parallel launch.
  EXPECT_FALSE(launch_with({{"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "0"}, {"SLURM_JOB_ID", "12"}}).parallel);
  const amf::LaunchInfo ompi = launch_with({{"OMPI_COMM_WORLD_SIZE", "3"}, {"OMPI_COMM_WORLD_RANK", "2"}});
  EXPECT_TRUE(ompi.parallel);
  EXPECT_EQ(ompi.launcher, "openmpi");
  EXPECT_EQ(ompi.size, 3);
  EXPECT_EQ(ompi.rank, 2);
  const amf::LaunchInfo hydra = launch_with({{"PMI_SIZE", "4"}, {"PMI_RANK", "1"}});  // MPICH / Intel MPI
  EXPECT_EQ(hydra.launcher, "pmi");
  EXPECT_EQ(hydra.size, 4);
  EXPECT_EQ(hydra.rank, 1);
  const amf::LaunchInfo srun = launch_with({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}});
  EXPECT_EQ(srun.launcher, "slurm");
  EXPECT_EQ(srun.size, 2);
  EXPECT_EQ(srun.rank, 1);
  const amf::LaunchInfo pmix = launch_with({{"PMIX_RANK", "5"}});
  EXPECT_TRUE(pmix.parallel);
  EXPECT_EQ(pmix.launcher, "pmix");
  EXPECT_EQ(pmix.rank, 5);
  EXPECT_EQ(pmix.size, 0);  // unknown until MPI_Comm_size
  // Open MPI under srun sets both; they agree, and Open MPI's are read first.
  EXPECT_EQ(launch_with({{"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_STEP_NUM_TASKS", "2"}}).launcher, "openmpi");
  EXPECT_EQ(launch_with({{"MV2_COMM_WORLD_SIZE", "2"}}).launcher, "mvapich");
}

TEST(Launch, MalformedVariablesAreNamed) {
  expect_invalid_argument_naming([] { launch_with({{"PMI_SIZE", "two"}}); }, "PMI_SIZE");
  expect_invalid_argument_naming([] { launch_with({{"OMPI_COMM_WORLD_SIZE", "0"}}); }, "OMPI_COMM_WORLD_SIZE");
  expect_invalid_argument_naming([] { launch_with({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "2"}}); }, "SLURM_PROCID");
}

}  // namespace
