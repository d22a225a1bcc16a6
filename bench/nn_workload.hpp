#pragma once
// The W-NN benchmark workload, shared by bench_engine (CPU) and gpu_bench (device).
#include <cstdint>
#include <random>
#include <vector>

#include "amf/feature_problem.hpp"
#include "amf/features.hpp"

namespace amf_bench {

// W-NN: the feature criterion with the factorised full-gradient kernel of an MLP 4 x 256 with
// LayerNorm (input 10, action 4): per point, per layer, the layer input and the signal. Features
// are random with the right shapes (timing does not depend on their values). Candidate
// log-probabilities favour one trajectory each (as relabelling does); target ones are flat, so
// every trajectory enters the target occupancy: M = K n.
struct NnWorkload {
  // fast_fill: uniform values of the same variance from a counter hash instead of mt19937
  // normals, for the device-sized workloads (billions of values).
  bool fast_fill = false;
  // sparse: candidate features only for each candidate's kept trajectory (T rows per candidate,
  // through candidate_feature_rows), as a caller at W-NN's full N would supply them: 16 GB at
  // N 10000 instead of the dense layout's 263 GB. Results are identical either way.
  std::vector<std::int64_t> feature_rows;
  std::vector<std::int64_t> offsets;
  std::vector<double> cand_logp, targ_logp, own, probs;
  std::vector<std::vector<double>> storage;
  amf::FeatureCriterionProblem p;

  void fill(std::vector<double>& v, std::normal_distribution<double>& g, std::mt19937& rng) {
    if (!fast_fill) {
      for (double& x : v) x = g(rng);
      return;
    }
    std::uint64_t state = rng();
    for (double& x : v) {  // splitmix64, uniform on [-sqrt(3) 0.1, sqrt(3) 0.1]: std 0.1
      std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      x = (static_cast<double>(z >> 11) * 0x1.0p-53 - 0.5) * 0.34641016151377546;
    }
  }

  amf::FeatureSet features(std::int64_t points, std::mt19937& rng) {
    std::normal_distribution<double> g(0.0, 0.1);
    const std::vector<std::pair<int, int>> linear{{10, 256}, {256, 256}, {256, 256}, {256, 256}, {256, 4}};
    amf::FeatureSet f;
    for (std::size_t l = 0; l < linear.size(); ++l) {
      auto add = [&](int in, int out, amf::FactorisedLayer::Kind kind) {
        storage.emplace_back(points * in);
        fill(storage.back(), g, rng);
        const double* inputs = storage.back().data();
        storage.emplace_back(points * out);
        fill(storage.back(), g, rng);
        f.layers.push_back({kind, {inputs, points, in}, {storage.back().data(), points, out}});
      };
      add(linear[l].first, linear[l].second, amf::FactorisedLayer::Kind::Linear);
      if (l + 1 < linear.size()) add(256, 256, amf::FactorisedLayer::Kind::LayerNorm);
    }
    return f;
  }

  NnWorkload(int N, int R, int T, int K, bool fast = false, bool sparse = false) : fast_fill(fast) {
    storage.reserve(64);
    std::mt19937 rng(3);
    const int n = R * T;
    for (int i = 0; i <= R; ++i) offsets.push_back(std::int64_t(i) * T);
    cand_logp.assign(std::size_t(N) * n, -5.0);
    for (int c = 0; c < N; ++c)
      for (int t = (c % R) * T; t < (c % R + 1) * T; ++t) cand_logp[std::size_t(c) * n + t] = 1.0;
    targ_logp.assign(std::size_t(K) * n, 0.0);
    own.assign(n, 0.0);
    probs.assign(K, 1.0 / K);
    p.traj_offsets = amf::VectorView<std::int64_t>(offsets);
    p.candidate_logp = {cand_logp.data(), N, n};
    p.target_logp = {targ_logp.data(), K, n};
    p.own_logp = amf::VectorView<double>(own);
    p.target_probs = amf::VectorView<double>(probs);
    if (sparse) {
      feature_rows.assign(std::size_t(N) * n, -1);
      for (int c = 0; c < N; ++c)
        for (int s = 0; s < T; ++s) feature_rows[std::size_t(c) * n + (c % R) * T + s] = std::int64_t(c) * T + s;
      p.candidate_feature_rows = amf::VectorView<std::int64_t>(feature_rows);
    }
    p.candidate_features = features(std::int64_t(N) * (sparse ? T : n), rng);
    p.target_features = features(std::int64_t(K) * n, rng);
    p.noise_variance = 1e-2;
  }
};

}  // namespace amf_bench
