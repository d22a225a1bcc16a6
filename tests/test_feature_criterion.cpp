// The feature (AMF-NN) criterion: factorised Gram algebra against explicit embeddings, the
// criterion and greedy batch against a from-scratch float64 computation, and input checks.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>

#include "expect_error.hpp"
#include "amf/backend.hpp"
#include "amf/error.hpp"
#include "amf/feature_problem.hpp"

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Mat random_matrix(int r, int c, std::mt19937& rng, double scale = 1.0) {
  std::normal_distribution<double> g(0.0, scale);
  Mat m(r, c);
  for (int i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
  return m;
}

amf::MatrixView<double> view(const Mat& m) { return {m.data(), m.rows(), m.cols()}; }

TEST(FeatureGram, FactorisedFormEqualsExplicitPerSampleEmbeddings) {
  std::mt19937 rng(3);
  const int P = 7, Q = 5;
  // An MLP-like stack: Linear 4->6, LayerNorm 6, Linear 6->3.
  const Mat hA1 = random_matrix(P, 4, rng), dA1 = random_matrix(P, 6, rng), hB1 = random_matrix(Q, 4, rng), dB1 = random_matrix(Q, 6, rng);
  const Mat xA = random_matrix(P, 6, rng), dA2 = random_matrix(P, 6, rng), xB = random_matrix(Q, 6, rng), dB2 = random_matrix(Q, 6, rng);
  const Mat hA3 = random_matrix(P, 6, rng), dA3 = random_matrix(P, 3, rng), hB3 = random_matrix(Q, 6, rng), dB3 = random_matrix(Q, 3, rng);
  using K = amf::FactorisedLayer::Kind;
  amf::FeatureSet A{{}, {{K::Linear, view(hA1), view(dA1)}, {K::LayerNorm, view(xA), view(dA2)}, {K::Linear, view(hA3), view(dA3)}}};
  amf::FeatureSet B{{}, {{K::Linear, view(hB1), view(dB1)}, {K::LayerNorm, view(xB), view(dB2)}, {K::Linear, view(hB3), view(dB3)}}};

  // The explicit gradient of each sample: weight gradient delta (x) [h, 1] per Linear layer,
  // (delta o xhat, delta) for the LayerNorm's gain and shift.
  auto explicit_rows = [](const Mat& h1, const Mat& d1, const Mat& x, const Mat& d2, const Mat& h3, const Mat& d3) {
    const int rows = static_cast<int>(h1.rows()), D = 6 * 5 + 12 + 3 * 7;
    Mat E(rows, D);
    for (int r = 0; r < rows; ++r) {
      int k = 0;
      for (int o = 0; o < 6; ++o)
        for (int i = 0; i <= 4; ++i) E(r, k++) = d1(r, o) * (i < 4 ? h1(r, i) : 1.0);
      for (int o = 0; o < 6; ++o) E(r, k++) = d2(r, o) * x(r, o);
      for (int o = 0; o < 6; ++o) E(r, k++) = d2(r, o);
      for (int o = 0; o < 3; ++o)
        for (int i = 0; i <= 6; ++i) E(r, k++) = d3(r, o) * (i < 6 ? h3(r, i) : 1.0);
    }
    return E;
  };
  const Mat EA = explicit_rows(hA1, dA1, xA, dA2, hA3, dA3), EB = explicit_rows(hB1, dB1, xB, dB2, hB3, dB3);
  const Mat ref = EA * EB.transpose();
  const auto got = amf::feature_gram(A, B);
  for (int i = 0; i < P; ++i)
    for (int j = 0; j < Q; ++j) EXPECT_NEAR(got[i * Q + j], ref(i, j), 1e-12 * (1 + std::abs(ref(i, j))));
  const amf::FeatureSet E{view(EA), {}};
  const auto self = amf::feature_gram(E, E);
  EXPECT_NEAR(self[0], EA.row(0).squaredNorm(), 1e-12 * EA.row(0).squaredNorm());

  // The prior variances k(a, a), factorised and explicit, are the explicit rows' squared norms.
  const auto diagonal = amf::feature_diagonal(A), explicit_diagonal = amf::feature_diagonal(E);
  ASSERT_EQ(diagonal.size(), static_cast<std::size_t>(P));
  for (int i = 0; i < P; ++i) {
    EXPECT_NEAR(diagonal[i], EA.row(i).squaredNorm(), 1e-12 * EA.row(i).squaredNorm());
    EXPECT_NEAR(explicit_diagonal[i], EA.row(i).squaredNorm(), 1e-12 * EA.row(i).squaredNorm());
  }
}

struct Problem {
  int R = 4, T = 3, N = 5, K = 3, D = 6;
  std::vector<std::int64_t> offsets{0, 3, 6, 9, 12};
  Mat cand_logp, targ_logp, cand_emb, targ_emb;
  Eigen::VectorXd own;
  std::vector<double> probs{0.5, 0.3, 0.2};
  amf::FeatureCriterionProblem p;

  Problem() {
    std::mt19937 rng(11);
    const int n = R * T;
    cand_logp = random_matrix(N, n, rng, 3.0);
    targ_logp = random_matrix(K, n, rng, 3.0);
    own = random_matrix(n, 1, rng, 3.0);
    cand_emb = random_matrix(N * n, D, rng);
    targ_emb = random_matrix(K * n, D, rng);
    p.traj_offsets = amf::VectorView<std::int64_t>(offsets);
    p.candidate_logp = view(cand_logp);
    p.target_logp = view(targ_logp);
    p.own_logp = amf::VectorView<double>(own.data(), n);
    p.target_probs = amf::VectorView<double>(probs);
    p.candidate_features.embedding = view(cand_emb);
    p.target_features.embedding = view(targ_emb);
    p.noise_variance = 0.3;
    p.clip = {-4.0, 4.0};
    p.min_weight = 0.0;
  }
};

// From scratch: weights by their definition, variances by a direct inverse on the union of the
// picks and the relabelled trajectory.
struct Reference {
  std::vector<double> J;
  Mat W;
};

Reference reference(const Problem& q, const std::vector<std::vector<int>>& picked_rows_sets) {
  const int n = q.R * q.T;
  auto weights = [&](const Mat& logp) {
    Mat W(logp.rows(), q.R);
    for (int c = 0; c < logp.rows(); ++c) {
      Eigen::VectorXd l(q.R);
      for (int i = 0; i < q.R; ++i) {
        double s = 0;
        for (int t = i * q.T; t < (i + 1) * q.T; ++t)
          s += std::clamp(logp(c, t), q.p.clip.lo, q.p.clip.hi) - std::clamp(q.own(t), q.p.clip.lo, q.p.clip.hi);
        l(i) = s;
      }
      const Eigen::VectorXd e = (l.array() - l.maxCoeff()).exp();
      W.row(c) = (e / e.sum()).transpose();
    }
    return W;
  };
  Reference ref;
  ref.W = weights(q.cand_logp);
  const Mat Wt = weights(q.targ_logp);
  auto var = [&](const Mat& X, const Eigen::RowVectorXd& z) {
    if (X.rows() == 0) return z.squaredNorm();
    const Mat Kxx = X * X.transpose() + q.p.noise_variance * Mat::Identity(X.rows(), X.rows());
    const Eigen::VectorXd kxz = X * z.transpose();
    return z.squaredNorm() - kxz.dot(Kxx.inverse() * kxz);
  };
  const auto& picked = picked_rows_sets.back();
  for (int c = 0; c < q.N; ++c) {
    double J = 0;
    for (int i = 0; i < q.R; ++i) {
      Mat X(static_cast<int>(picked.size()) + q.T, q.D);
      for (std::size_t r = 0; r < picked.size(); ++r) X.row(r) = q.cand_emb.row(picked[r]);
      for (int t = 0; t < q.T; ++t) X.row(picked.size() + t) = q.cand_emb.row(c * n + i * q.T + t);
      Mat Xp(static_cast<int>(picked.size()), q.D);
      for (std::size_t r = 0; r < picked.size(); ++r) Xp.row(r) = q.cand_emb.row(picked[r]);
      for (int k = 0; k < q.K; ++k)
        for (int j = 0; j < q.R; ++j)
          for (int t = 0; t < q.T; ++t) {
            const double omega = q.probs[k] * Wt(k, j) / q.T;
            J += ref.W(c, i) * omega * std::log(var(X, q.targ_emb.row(k * n + j * q.T + t)));
          }
    }
    ref.J.push_back(J);
  }
  return ref;
}

TEST(FeatureCriterion, MatchesFromScratchReferenceIncludingGreedyConditioning) {
  Problem q;
  q.p.batch_size = 3;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto r = amf::select_batch(q.p, *backend);
  std::vector<std::vector<int>> picked{{}};
  const Reference first = reference(q, picked);
  for (int c = 0; c < q.N; ++c) {
    EXPECT_NEAR(r.J[c], first.J[c], 1e-9 * std::abs(first.J[c])) << "candidate " << c;
    for (int i = 0; i < q.R; ++i) EXPECT_NEAR(r.weights[c * q.R + i], first.W(c, i), 1e-12);
  }
  // Each later pick: the reference conditions from scratch on all earlier pseudo-demonstrations.
  const int n = q.R * q.T;
  for (std::size_t b = 0; b < r.batch.size(); ++b) {
    const Reference ref = reference(q, picked);
    const auto best = std::min_element(ref.J.begin(), ref.J.end()) - ref.J.begin();
    EXPECT_EQ(r.batch[b], best) << "pick " << b;
    EXPECT_NEAR(r.batch_J[b], ref.J[best], 1e-9 * std::abs(ref.J[best])) << "pick " << b;
    std::vector<int> next = picked.back();
    for (int t = 0; t < q.T; ++t) next.push_back(static_cast<int>(r.batch[b] * n + r.pseudo_demo_trajectory[b] * q.T + t));
    picked.push_back(next);
  }
}

TEST(FeatureCriterion, FactorisedAndExplicitInputsGiveTheSameScores) {
  Problem q;
  // Factorised single Linear layer with d_in = 2, d_out = 2 gives a 6-dim explicit embedding.
  std::mt19937 rng(5);
  const int n = q.R * q.T;
  const Mat hc = random_matrix(q.N * n, 2, rng), dcs = random_matrix(q.N * n, 2, rng);
  const Mat ht = random_matrix(q.K * n, 2, rng), dts = random_matrix(q.K * n, 2, rng);
  auto embed = [](const Mat& h, const Mat& d) {
    Mat E(h.rows(), 6);
    for (int r = 0; r < h.rows(); ++r)
      for (int o = 0, k = 0; o < 2; ++o)
        for (int i = 0; i <= 2; ++i) E(r, k++) = d(r, o) * (i < 2 ? h(r, i) : 1.0);
    return E;
  };
  q.cand_emb = embed(hc, dcs);
  q.targ_emb = embed(ht, dts);
  q.p.candidate_features.embedding = view(q.cand_emb);
  q.p.target_features.embedding = view(q.targ_emb);
  q.p.batch_size = 2;
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto explicit_result = amf::select_batch(q.p, *backend);
  q.p.candidate_features = {{}, {{amf::FactorisedLayer::Kind::Linear, view(hc), view(dcs)}}};
  q.p.target_features = {{}, {{amf::FactorisedLayer::Kind::Linear, view(ht), view(dts)}}};
  const auto factorised = amf::select_batch(q.p, *backend);
  for (int c = 0; c < q.N; ++c) EXPECT_NEAR(factorised.J[c], explicit_result.J[c], 1e-10 * std::abs(explicit_result.J[c]));
  EXPECT_EQ(factorised.batch, explicit_result.batch);
}

TEST(FeatureCriterion, BadInputIsNamed) {
  auto expect = [](const std::function<void(Problem&)>& corrupt, const std::string& fragment) {
    Problem q;
    corrupt(q);
    auto backend = amf::make_backend(amf::BackendKind::Cpu);
    try {
      amf::select_batch(q.p, *backend);
      ADD_FAILURE() << "accepted a bad " << fragment;
    } catch (const amf::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect([](Problem& q) { q.p.noise_variance = 0; }, "noise_variance");
  expect([](Problem& q) { q.cand_logp(1, 2) = NAN; }, "candidate_logp[1][2] is NaN");
  expect([](Problem& q) { q.p.candidate_logp.cols = 5; }, "candidate_logp has 5 columns");
  expect([](Problem& q) { q.p.own_logp.rows = 3; }, "own_logp has 3 entries");
  expect([](Problem& q) { q.p.candidate_features.embedding.rows = 7; }, "candidate_features has 7 points");
  expect([](Problem& q) { q.targ_emb(0, 0) = INFINITY; }, "target_features.embedding[0][0] is not finite");
  expect([](Problem& q) { q.p.target_features.layers.push_back({}); }, "layers[0].inputs has 0 rows");
  expect([](Problem& q) { q.probs = {0.9, 0.3, 0.2}; }, "target_probs sum");
  expect([](Problem& q) { q.p.batch_size = 0; }, "batch_size");
}

// The sessions check the feature rows they read, as they read them, not whole arrays upfront: a
// NaN in a candidate row of a pair importance-weight pruning drops changes nothing, one in a
// kept pair's row is named. amf::validate still checks every row.
TEST(FeatureCriterion, FeatureValuesAreCheckedWhereTheCriterionReadsThem) {
  Problem q;
  q.p.min_weight = 0.3;
  q.p.batch_size = 2;
  const int n = q.R * q.T;
  const auto kept = amf::kept_candidate_pairs(q.p);
  auto is_kept = [&](int c, int i) {
    for (const auto& pair : kept)
      if (pair.candidate == c && pair.trajectory == i) return true;
    return false;
  };
  int dropped_c = -1, dropped_i = -1;
  for (int c = 0; c < q.N && dropped_c < 0; ++c)
    for (int i = 0; i < q.R && dropped_c < 0; ++i)
      if (!is_kept(c, i)) dropped_c = c, dropped_i = i;
  ASSERT_GE(dropped_c, 0) << "min_weight prunes no pair: the test needs one";
  auto backend = amf::make_backend(amf::BackendKind::Cpu);
  const auto clean = amf::select_batch(q.p, *backend);

  const int unread = dropped_c * n + dropped_i * q.T;  // first step of the dropped pair
  q.cand_emb(unread, 2) = NAN;
  const auto with_unread_nan = amf::select_batch(q.p, *backend);
  EXPECT_EQ(with_unread_nan.J, clean.J);
  EXPECT_EQ(with_unread_nan.batch, clean.batch);
  amf_test::expect_invalid_argument_naming([&] { amf::validate(q.p, true); },
                                           "candidate_features.embedding[" + std::to_string(unread) + "][2]");
  q.cand_emb(unread, 2) = 0.0;

  const int read = kept[0].candidate * n + kept[0].trajectory * q.T + 1;
  q.cand_emb(read, 4) = -INFINITY;
  amf_test::expect_invalid_argument_naming([&] { amf::select_batch(q.p, *backend); },
                                           "candidate_features.embedding[" + std::to_string(read) + "][4] is not finite");
}

}  // namespace
