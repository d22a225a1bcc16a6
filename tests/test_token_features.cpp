// Loss-gradient features of transformers and convolutions: Linear layers on token sequences
// (k = sum over token pairs), Linear layers without bias, and an explicit part next to
// factorised layers. Each against the explicit embedding of the same per-sample gradients
// (float64, 1e-10 relative): the Gram, its diagonal, and the criterion and greedy batch of the
// CPU backend (both Gram precisions' float64 path, with and without the incremental cache).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <vector>

#include "amf/backend.hpp"
#include "amf/feature_problem.hpp"
#include "amf/features.hpp"
#include "expect_error.hpp"
#include "gp/feature_gram.hpp"

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Kind = amf::FactorisedLayer::Kind;

Mat random_matrix(Eigen::Index r, Eigen::Index c, std::mt19937& rng, double scale = 1.0) {
  std::normal_distribution<double> g(0.0, scale);
  Mat m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
  return m;
}

amf::MatrixView<double> view(const Mat& m) { return {m.data(), m.rows(), m.cols()}; }

// Layer shapes of a small transformer-like stack; tokens = 1 is a layer on one vector per point.
struct LayerShape {
  Kind kind;
  int in, out, tokens;
  bool bias;
};

const std::vector<LayerShape> kStack = {{Kind::Linear, 4, 5, 3, true},  // a projection on 3 tokens
                                        {Kind::LayerNorm, 5, 5, 1, true},
                                        {Kind::Linear, 5, 3, 4, false},  // an embedding-like layer on 4 tokens
                                        {Kind::Linear, 3, 2, 1, false},  // a vector head without bias
                                        {Kind::Linear, 2, 2, 1, true}};
constexpr int kExplicitWidth = 3;

// Random features of P points for kStack plus an explicit part, and the explicit per-sample
// gradient each row stands for: per Linear layer sum_s delta_s (x) [h_s, 1] (weight row-major,
// the bias column last; no bias column without bias), per LayerNorm (delta o xhat, delta), and
// the explicit part as it is.
struct Features {
  std::vector<Mat> keep;
  amf::FeatureSet set;
  Mat gradients;

  Features(int P, std::mt19937& rng) {
    keep.reserve(2 * kStack.size() + 1);
    keep.push_back(random_matrix(P, kExplicitWidth, rng));
    set.embedding = view(keep.back());
    std::vector<Mat> blocks{keep.back()};
    for (const LayerShape& l : kStack) {
      const double scale = 1.0 / l.tokens;
      keep.push_back(random_matrix(P, l.in * l.tokens, rng, scale));
      const Mat& h = keep.back();
      keep.push_back(random_matrix(P, l.out * l.tokens, rng, scale));
      const Mat& d = keep.back();
      amf::FactorisedLayer layer{l.kind, view(h), view(d)};
      layer.tokens = l.tokens;
      layer.bias = l.bias;
      set.layers.push_back(layer);
      if (l.kind == Kind::LayerNorm) {
        blocks.push_back(d.cwiseProduct(h));
        blocks.push_back(d);
        continue;
      }
      const int cols = l.in + (l.bias ? 1 : 0);
      Mat g = Mat::Zero(P, l.out * cols);
      for (int p = 0; p < P; ++p)
        for (int s = 0; s < l.tokens; ++s)
          for (int o = 0; o < l.out; ++o)
            for (int i = 0; i < cols; ++i) g(p, o * cols + i) += d(p, s * l.out + o) * (i < l.in ? h(p, s * l.in + i) : 1.0);
      blocks.push_back(g);
    }
    Eigen::Index width = 0;
    for (const Mat& b : blocks) width += b.cols();
    gradients.resize(P, width);
    Eigen::Index c = 0;
    for (const Mat& b : blocks) {
      gradients.middleCols(c, b.cols()) = b;
      c += b.cols();
    }
  }
};

void expect_relative(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-10 * std::abs(want)) << what;
}

TEST(TokenFeatures, GramAndDiagonalEqualTheExplicitGradients) {
  std::mt19937 rng(21);
  const Features A(7, rng), B(5, rng);
  const auto got = amf::feature_gram(A.set, B.set);
  const Mat want = A.gradients * B.gradients.transpose();
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 5; ++j) expect_relative(got[i * 5 + j], want(i, j), "k(" + std::to_string(i) + ", " + std::to_string(j) + ")");
  std::vector<std::int64_t> rows{0, 3, 6};
  const Eigen::VectorXd diagonal = amf::detail::feature_diagonal(A.set, rows);
  for (std::size_t r = 0; r < rows.size(); ++r)
    expect_relative(diagonal(r), A.gradients.row(rows[r]).squaredNorm(), "k(z, z) of row " + std::to_string(rows[r]));
  // The public prior variances (include/amf/features.hpp) of the same mixed set: every row.
  const std::vector<double> prior = amf::feature_diagonal(A.set);
  ASSERT_EQ(prior.size(), 7u);
  for (int i = 0; i < 7; ++i)
    expect_relative(prior[i], A.gradients.row(i).squaredNorm(), "feature_diagonal of row " + std::to_string(i));
}

// A problem of R trajectories of T steps, N candidates and K targets whose features are given
// either in the mixed factorised form or as the explicit gradients they stand for.
struct TokenProblem {
  static constexpr int R = 4, T = 3, N = 6, K = 3, n = R * T;
  std::mt19937 rng{33};
  std::vector<std::int64_t> offsets{0, 3, 6, 9, 12};
  Mat cand_logp = random_matrix(N, n, rng, 2.0), targ_logp = random_matrix(K, n, rng, 2.0);
  Mat own = random_matrix(n, 1, rng, 2.0);
  std::vector<double> probs{0.5, 0.3, 0.2};
  Features cand{N * n, rng}, targ{K * n, rng};

  amf::FeatureCriterionProblem problem(bool factorised) const {
    amf::FeatureCriterionProblem p;
    p.traj_offsets = amf::VectorView<std::int64_t>(offsets);
    p.candidate_logp = view(cand_logp);
    p.target_logp = view(targ_logp);
    p.own_logp = amf::VectorView<double>(own.data(), n);
    p.target_probs = amf::VectorView<double>(probs);
    if (factorised) {
      p.candidate_features = cand.set;
      p.target_features = targ.set;
    } else {
      p.candidate_features.embedding = view(cand.gradients);
      p.target_features.embedding = view(targ.gradients);
    }
    p.noise_variance = 0.7;
    p.clip = {-5.0, 5.0};
    p.min_weight = 0.0;
    p.batch_size = 3;
    return p;
  }
};

TEST(TokenFeatures, CriterionAndGreedyBatchEqualTheExplicitGradients) {
  const TokenProblem q;
  for (const std::int64_t cache : {std::int64_t(-1), std::int64_t(0)}) {
    SCOPED_TRACE(cache ? "incremental conditioning" : "recomputed conditioning");
    amf::BackendOptions options;
    options.session_cache_bytes = cache;
    auto cpu = amf::make_backend(amf::BackendKind::Cpu, options);
    const auto want = amf::select_batch(q.problem(false), *cpu);
    const auto got = amf::select_batch(q.problem(true), *cpu);
    ASSERT_EQ(got.J.size(), want.J.size());
    for (std::size_t c = 0; c < want.J.size(); ++c) {
      expect_relative(got.J[c], want.J[c], "J of candidate " + std::to_string(c));
      expect_relative(got.info_gain[c], want.info_gain[c], "information gain of candidate " + std::to_string(c));
    }
    EXPECT_EQ(got.batch, want.batch);
    EXPECT_EQ(got.pseudo_demo_trajectory, want.pseudo_demo_trajectory);
    for (std::size_t b = 0; b < want.batch_J.size(); ++b) expect_relative(got.batch_J[b], want.batch_J[b], "pick " + std::to_string(b));
  }
}

TEST(TokenFeatures, MalformedTokenLayersAreNamed) {
  std::mt19937 rng(2);
  Features f(4, rng);
  f.set.layers[0].tokens = 5;  // 12 input columns are not 5 tokens
  amf_test::expect_invalid_argument_naming([&] { f.set.validate("features"); },
                                           "features.layers[0]: 5 tokens do not divide the 12 input and 15 signal columns");
  f.set.layers[0].tokens = 3;
  f.set.layers[1].tokens = 5;
  amf_test::expect_invalid_argument_naming([&] { f.set.validate("features"); },
                                           "features.layers[1]: a LayerNorm takes one vector per point");
  f.set.layers[1].tokens = 1;
  f.set.validate("features");
  f.set.embedding.rows = 3;
  // The points are the explicit part's rows when there is one: the layers are named as off.
  amf_test::expect_invalid_argument_naming([&] { f.set.validate("features"); }, "features.layers[0].inputs has 4 rows, expected 3");
}

TEST(TokenFeatures, FormsMustMatchBetweenSets) {
  std::mt19937 rng(4);
  Features a(3, rng), b(3, rng);
  b.set.layers[2].bias = true;  // the same widths, another form
  amf_test::expect_invalid_argument_naming([&] { amf::feature_gram(a.set, b.set); }, "different forms");
  b.set.layers[2].bias = false;
  b.set.embedding = {};
  amf_test::expect_invalid_argument_naming([&] { amf::feature_gram(a.set, b.set); }, "different forms");
}

}  // namespace
