// The criterion against a from-scratch float64 reference, its qualitative behaviour (paper
// App. H), and greedy batch selection.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "problem_fixture.hpp"
#include "textbook_gp.hpp"

namespace {

using amf_test::Mat;
using amf_test::OwnedProblem;

// J(c) computed the long way: textbook GP predictive for the weights, and for every
// (candidate, trajectory) a GP conditioned from scratch on pool u X_i(c) for the variances.
struct Reference {
  std::vector<double> J, gain;
  Mat weights;
};

Reference reference_criterion(const amf::CriterionProblem& p) {
  const int ds = 2, da = 2;
  const amf_test::TextbookGp gp{ds, p.kernel.state_lengthscale, p.kernel.task_lengthscale,
                                p.kernel.signal_variance, p.noise_variance};
  const std::int64_t R = p.num_trajectories(), n = p.pool_states.rows;
  Mat XD(n, 4), Y(n, 2);
  std::vector<std::int64_t> traj(n);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t r = p.traj_offsets[i]; r < p.traj_offsets[i + 1]; ++r) {
      XD.row(r) << p.pool_states(r, 0), p.pool_states(r, 1), p.pool_tasks(i, 0), p.pool_tasks(i, 1);
      Y.row(r) << p.pool_actions(r, 0), p.pool_actions(r, 1);
      traj[r] = i;
    }
  auto relabel = [&](std::int64_t i, const double* c) {
    Mat X(p.traj_offsets[i + 1] - p.traj_offsets[i], 4);
    for (std::int64_t r = 0; r < X.rows(); ++r)
      X.row(r) << p.pool_states(p.traj_offsets[i] + r, 0), p.pool_states(p.traj_offsets[i] + r, 1), c[0], c[1];
    return X;
  };
  auto loglik = [&](const Mat& P) {  // per-trajectory clipped sums
    const Mat mu = gp.mean(XD, Y, P);
    const Eigen::VectorXd var = gp.variance(XD, P);
    Eigen::VectorXd sums = Eigen::VectorXd::Zero(R);
    for (std::int64_t r = 0; r < n; ++r) {
      const double v = var(r) + p.noise_variance;
      const double lp = -0.5 * ((Y.row(r) - mu.row(r)).squaredNorm() / v + da * std::log(2 * M_PI * v));
      sums(traj[r]) += std::clamp(lp, p.clip.lo, p.clip.hi);
    }
    return sums;
  };
  const Eigen::VectorXd own = loglik(XD);
  auto weights = [&](const amf::MatrixView<double>& tasks) {
    Mat W(tasks.rows, R);
    for (std::int64_t c = 0; c < tasks.rows; ++c) {
      Mat P(n, 4);
      for (std::int64_t i = 0; i < R; ++i) P.middleRows(p.traj_offsets[i], relabel(i, tasks.row(c)).rows()) = relabel(i, tasks.row(c));
      const Eigen::VectorXd l = loglik(P) - own;
      const Eigen::VectorXd e = (l.array() - l.maxCoeff()).exp();
      W.row(c) = (e / e.sum()).transpose();
    }
    return W;
  };
  Reference ref;
  ref.weights = weights(p.candidates);
  const Mat Wt = weights(p.targets);
  Mat Z(0, 4);
  std::vector<double> omega;
  for (std::int64_t k = 0; k < p.targets.rows; ++k)
    for (std::int64_t j = 0; j < R; ++j) {
      const Mat Zj = relabel(j, p.targets.row(k));
      Z = amf_test::vstack(Z, Zj);
      for (int t = 0; t < Zj.rows(); ++t) omega.push_back(p.target_probs[k] * Wt(k, j) / Zj.rows());
    }
  const Eigen::VectorXd prior = gp.variance(XD, Z);
  for (std::int64_t c = 0; c < p.candidates.rows; ++c) {
    double J = 0, g = 0;
    for (std::int64_t i = 0; i < R; ++i) {
      const Eigen::VectorXd v = gp.variance(amf_test::vstack(XD, relabel(i, p.candidates.row(c))), Z);
      for (int z = 0; z < Z.rows(); ++z) {
        J += ref.weights(c, i) * omega[z] * std::log(v(z));
        g += ref.weights(c, i) * omega[z] * 0.5 * std::log(prior(z) / v(z));
      }
    }
    ref.J.push_back(J);
    ref.gain.push_back(g);
  }
  return ref;
}

TEST(Criterion, MatchesFromScratchFloat64Reference) {
  OwnedProblem op({0.0, 0.5, 1.0, 3.0}, {0.2, 1.5, 2.5, 4.0, 5.5}, {0.0, 2.0, 4.0}, /*horizon=*/5);
  op.problem.min_weight = 0.0;  // exact: nothing pruned
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::evaluate_criterion(op.problem, *backend);
  const Reference ref = reference_criterion(op.problem);
  for (std::int64_t c = 0; c < 5; ++c) {
    EXPECT_NEAR(r.J[c], ref.J[c], 1e-7 * std::abs(ref.J[c])) << "candidate " << c;
    EXPECT_NEAR(r.info_gain[c], ref.gain[c], 1e-7 * (1 + std::abs(ref.gain[c]))) << "candidate " << c;
    for (std::int64_t i = 0; i < 4; ++i) EXPECT_NEAR(r.weights[c * 4 + i], ref.weights(c, i), 1e-9);
  }
}

TEST(Criterion, PruningNegligibleWeightsChangesLittle) {
  OwnedProblem op(amf_test::evenly_spaced(8), amf_test::evenly_spaced(10, 0.1), amf_test::evenly_spaced(12));
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  op.problem.min_weight = 0.0;
  const auto exact = amf::evaluate_criterion(op.problem, *backend);
  op.problem.min_weight = 1e-6;
  const auto pruned = amf::evaluate_criterion(op.problem, *backend);
  EXPECT_LT(pruned.num_target_points, exact.num_target_points);
  for (std::size_t c = 0; c < exact.J.size(); ++c) EXPECT_NEAR(pruned.J[c], exact.J[c], 1e-3 * std::abs(exact.J[c]));
}

TEST(Criterion, AggressivePruningKeepsEachTasksLargestWeight) {
  OwnedProblem op(amf_test::evenly_spaced(8), amf_test::evenly_spaced(10, 0.1), amf_test::evenly_spaced(12));
  op.problem.min_weight = 0.999;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::evaluate_criterion(op.problem, *backend);
  EXPECT_GE(r.num_target_points, 12 * 6);  // at least one trajectory (6 steps) per target
  for (double j : r.J) {
    EXPECT_TRUE(std::isfinite(j));
    EXPECT_LT(j, 0.0);  // log of variances below 1: a real sum, not an empty one
  }
}

TEST(Criterion, PrefersTasksFarFromTheDemonstratedOnes) {
  // Paper App. H: 50 demonstrations in the top half of the circle; the best-scored of 100
  // candidates over the whole circle lie in the bottom half.
  std::vector<double> demos;
  for (int i = 0; i < 50; ++i) demos.push_back(0.1 + 2.94 * i / 49.0);
  const auto candidates = amf_test::evenly_spaced(100);
  OwnedProblem op(demos, candidates, amf_test::evenly_spaced(12));
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::evaluate_criterion(op.problem, *backend);
  std::vector<std::size_t> order(100);
  for (std::size_t i = 0; i < 100; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return r.J[a] < r.J[b]; });
  for (int rank = 0; rank < 10; ++rank) {
    const double a = candidates[order[rank]];
    EXPECT_GT(a, M_PI) << "rank " << rank << " candidate angle " << a;
  }
  // And the information gain ranks the same way at the extremes.
  const auto best_gain = std::max_element(r.info_gain.begin(), r.info_gain.end()) - r.info_gain.begin();
  EXPECT_GT(candidates[best_gain], M_PI);
}

TEST(GreedyBatch, SmallNoiseNeverPicksTheSameTaskTwice) {
  const auto candidates = amf_test::evenly_spaced(24);
  OwnedProblem op({0.0, 0.3}, candidates, amf_test::evenly_spaced(12), 6, 0.01);
  op.problem.batch_size = 4;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::select_batch(op.problem, *backend);
  ASSERT_EQ(r.batch.size(), 4u);
  EXPECT_EQ(std::set<std::int64_t>(r.batch.begin(), r.batch.end()).size(), 4u);
  EXPECT_EQ(r.batch[0], std::min_element(r.J.begin(), r.J.end()) - r.J.begin());
  EXPECT_DOUBLE_EQ(r.batch_J[0], r.J[r.batch[0]]);
  // Conditioning on more data never raises a variance, so the best J can only fall.
  for (std::size_t b = 1; b < 4; ++b) EXPECT_LE(r.batch_J[b], r.batch_J[b - 1] + 1e-12);
}

TEST(GreedyBatch, DiffersFromTheBestScoresOfOnePass) {
  // Two copies of the best candidate: one pass ranks both first, greedy conditioning on the
  // first copy makes the second worth little and picks a different task.
  const std::vector<double> demos{0.0, 0.4, 0.8}, others{3.5, 1.2, 5.0, 2.0};
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  OwnedProblem probe(demos, others, amf_test::evenly_spaced(12));
  const auto first = amf::evaluate_criterion(probe.problem, *backend);
  const double best = others[std::min_element(first.J.begin(), first.J.end()) - first.J.begin()];

  std::vector<double> candidates{best, best};
  for (double a : others)
    if (a != best) candidates.push_back(a);
  OwnedProblem op(demos, candidates, amf_test::evenly_spaced(12));
  op.problem.batch_size = 2;
  const auto r = amf::select_batch(op.problem, *backend);
  ASSERT_EQ(r.J[0], r.J[1]);
  for (std::size_t c = 2; c < r.J.size(); ++c) ASSERT_GT(r.J[c], r.J[0]) << "the copies are the best two of one pass";
  EXPECT_EQ(r.batch[0], 0);
  EXPECT_NE(r.batch[1], 1) << "greedy must not pick the duplicate of its first pick";
}

}  // namespace
