#pragma once
// A random feature (AMF-NN) criterion problem that owns its arrays: R trajectories of T steps,
// N candidates, K targets, and loss-gradient features of an MLP-like stack (Linear 5->H,
// LayerNorm H, Linear H->3; H = hidden, default 8) in the factorised form, or explicit
// 12-dimensional embeddings.
#include <Eigen/Dense>
#include <random>
#include <vector>

#include "amf/feature_problem.hpp"

namespace amf_test {

class OwnedFeatureProblem {
 public:
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  OwnedFeatureProblem(int R, int T, int N, int K, bool factorised, unsigned seed = 7, int hidden = 8)
      : rng_(seed), hidden_(hidden) {
    const int n = R * T;
    for (int i = 0; i <= R; ++i) offsets_.push_back(static_cast<std::int64_t>(i) * T);
    cand_logp_ = random(N, n, 1.0);
    targ_logp_ = random(K, n, 1.0);
    own_ = random(n, 1, 1.0);
    probs_.assign(K, 1.0 / K);
    problem.traj_offsets = amf::VectorView<std::int64_t>(offsets_);
    problem.candidate_logp = view(cand_logp_);
    problem.target_logp = view(targ_logp_);
    problem.own_logp = amf::VectorView<double>(own_.data(), n);
    problem.target_probs = amf::VectorView<double>(probs_);
    problem.candidate_features = features(N * n, factorised);
    problem.target_features = features(K * n, factorised);
    problem.noise_variance = 0.5;
    problem.clip = {-6.0, 6.0};
    problem.min_weight = 1e-6;
  }

  amf::FeatureCriterionProblem problem;

 private:
  Mat random(int r, int c, double scale) {
    std::normal_distribution<double> g(0.0, scale);
    Mat m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = g(rng_);
    return m;
  }
  amf::MatrixView<double> view(const Mat& m) { return {m.data(), m.rows(), m.cols()}; }
  amf::FeatureSet features(int rows, bool factorised) {
    amf::FeatureSet f;
    if (!factorised) {
      keep_.push_back(random(rows, 12, 0.5));
      f.embedding = view(keep_.back());
      return f;
    }
    using Kind = amf::FactorisedLayer::Kind;
    const int widths[3][2] = {{5, hidden_}, {hidden_, hidden_}, {hidden_, 3}};
    const Kind kinds[3] = {Kind::Linear, Kind::LayerNorm, Kind::Linear};
    for (int l = 0; l < 3; ++l) {
      // Views point at each matrix's heap data, which moving the matrix inside keep_ preserves.
      keep_.push_back(random(rows, widths[l][0], 0.5));
      const amf::MatrixView<double> inputs = view(keep_.back());
      keep_.push_back(random(rows, widths[l][1], 0.5));
      f.layers.push_back({kinds[l], inputs, view(keep_.back())});
    }
    return f;
  }

  std::mt19937 rng_;
  int hidden_;
  std::vector<std::int64_t> offsets_;
  Mat cand_logp_, targ_logp_, own_;
  std::vector<double> probs_;
  std::vector<Mat> keep_;
};

}  // namespace amf_test
