// A trainer that links the engine alone (amf::engine): its features and log-probabilities are
// arrays it already holds; no HDF5, MuJoCo, TOML or LibTorch is linked. Picks 2 of 6 candidates
// with the AMF-NN criterion on explicit loss-gradient embeddings.
#include <amf/backend.hpp>
#include <amf/criterion.hpp>
#include <amf/feature_problem.hpp>
#include <amf/version.hpp>
#include <cmath>
#include <iostream>
#include <vector>

int main() {
  const int R = 4, T = 3, n = R * T, N = 6, K = 2, D = 5;
  std::vector<std::int64_t> offsets;
  for (int i = 0; i <= R; ++i) offsets.push_back(i * T);
  auto fill = [](std::vector<double>& v, std::size_t size, double phase) {
    v.resize(size);
    for (std::size_t i = 0; i < size; ++i) v[i] = std::sin(0.7 * i + phase);
  };
  std::vector<double> cand_logp, targ_logp, own, cand_feat, targ_feat, probs(K, 1.0 / K);
  fill(cand_logp, N * n, 0.1);
  fill(targ_logp, K * n, 0.2);
  fill(own, n, 0.3);
  fill(cand_feat, N * n * D, 0.4);
  fill(targ_feat, K * n * D, 0.5);

  amf::FeatureCriterionProblem p;
  p.traj_offsets = amf::VectorView<std::int64_t>(offsets.data(), R + 1);
  p.candidate_logp = amf::MatrixView<double>(cand_logp.data(), N, n);
  p.target_logp = amf::MatrixView<double>(targ_logp.data(), K, n);
  p.own_logp = amf::VectorView<double>(own.data(), n);
  p.target_probs = amf::VectorView<double>(probs.data(), K);
  p.candidate_features.embedding = amf::MatrixView<double>(cand_feat.data(), N * n, D);
  p.target_features.embedding = amf::MatrixView<double>(targ_feat.data(), K * n, D);
  p.noise_variance = 0.5;
  p.batch_size = 2;

  auto backend = amf::make_backend(amf::BackendKind::Auto);
  const amf::CriterionResult r = amf::select_batch(p, *backend);
  std::cout << "amf " << amf::version() << " engine picked";
  for (auto c : r.batch) std::cout << ' ' << c;
  std::cout << '\n';
  return r.batch.size() == 2 ? 0 : 1;
}
