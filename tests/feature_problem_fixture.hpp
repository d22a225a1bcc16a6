#pragma once
// A random feature (AMF-NN) criterion problem that owns its arrays: R trajectories of T steps,
// N candidates, K targets, and loss-gradient features in one of three forms (FeatureForm):
// explicit 12-dimensional embeddings; the factorised form of an MLP-like stack (Linear 5->H,
// LayerNorm H, Linear H->3; H = hidden, default 8); or every term kind at once, as a
// transformer's features come: an explicit part (4 columns) next to a Linear 5->H on 3 tokens,
// a LayerNorm H, a Linear H->3 without bias on 2 tokens and a Linear 3->2 without bias.
#include <Eigen/Dense>
#include <random>
#include <vector>

#include "amf/feature_problem.hpp"

namespace amf_test {

enum class FeatureForm { Embedding, Factorised, Tokens };

inline const char* form_name(FeatureForm f) {
  return f == FeatureForm::Embedding ? "embedding" : f == FeatureForm::Factorised ? "factorised" : "tokens";
}

class OwnedFeatureProblem {
 public:
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  OwnedFeatureProblem(int R, int T, int N, int K, bool factorised, unsigned seed = 7, int hidden = 8)
      : OwnedFeatureProblem(R, T, N, K, factorised ? FeatureForm::Factorised : FeatureForm::Embedding, seed, hidden) {}

  OwnedFeatureProblem(int R, int T, int N, int K, FeatureForm form, unsigned seed = 7, int hidden = 8)
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
    problem.candidate_features = features(N * n, form);
    problem.target_features = features(K * n, form);
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
  amf::FeatureSet features(int rows, FeatureForm form) {
    amf::FeatureSet f;
    if (form == FeatureForm::Embedding) {
      keep_.push_back(random(rows, 12, 0.5));
      f.embedding = view(keep_.back());
      return f;
    }
    using Kind = amf::FactorisedLayer::Kind;
    struct Layer {
      Kind kind;
      int in, out, tokens;
      bool bias;
    };
    const int H = hidden_;
    const std::vector<Layer> layers =
        form == FeatureForm::Factorised
            ? std::vector<Layer>{{Kind::Linear, 5, H, 1, true}, {Kind::LayerNorm, H, H, 1, true}, {Kind::Linear, H, 3, 1, true}}
            : std::vector<Layer>{{Kind::Linear, 5, H, 3, true}, {Kind::LayerNorm, H, H, 1, true},
                                 {Kind::Linear, H, 3, 2, false}, {Kind::Linear, 3, 2, 1, false}};
    if (form == FeatureForm::Tokens) {
      keep_.push_back(random(rows, 4, 0.5));
      f.embedding = view(keep_.back());
    }
    for (const Layer& l : layers) {
      // Views point at each matrix's heap data, which moving the matrix inside keep_ preserves.
      // Token layers get smaller entries so that their kernel terms (summed over token pairs)
      // stay of the size of the others.
      const double scale = 0.5 / l.tokens;
      keep_.push_back(random(rows, l.in * l.tokens, scale));
      const amf::MatrixView<double> inputs = view(keep_.back());
      keep_.push_back(random(rows, l.out * l.tokens, scale));
      amf::FactorisedLayer layer{l.kind, inputs, view(keep_.back())};
      layer.tokens = l.tokens;
      layer.bias = l.bias;
      f.layers.push_back(layer);
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

// The rows `order` of a host feature set, in that order, as a new set whose matrices `storage`
// keeps (their heap data stays put when storage grows): the compact layouts that
// candidate_feature_rows and target_feature_rows address.
inline amf::FeatureSet select_rows(const amf::FeatureSet& set, const std::vector<std::int64_t>& order,
                                   std::vector<OwnedFeatureProblem::Mat>& storage) {
  const auto rows = static_cast<Eigen::Index>(order.size());
  auto take = [&](const amf::ArrayView& view) {
    const amf::MatrixView<double> v = view.host_matrix("dense features");
    OwnedFeatureProblem::Mat m(rows, v.cols);
    for (Eigen::Index r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < v.cols; ++j) m(r, j) = v(order[r], j);
    storage.push_back(std::move(m));
    return amf::MatrixView<double>{storage.back().data(), storage.back().rows(), storage.back().cols()};
  };
  amf::FeatureSet f;
  if (set.has_embedding()) f.embedding = take(set.embedding);
  for (const auto& layer : set.layers)
    f.layers.push_back({layer.kind, take(layer.inputs), take(layer.signals), layer.tokens, layer.bias});
  return f;
}

}  // namespace amf_test
