// The feature (AMF-NN) criterion as a PyTorch user would write it: per-layer Gram blocks with
// matmuls and Hadamard products (the factorised form), batched torch::linalg Cholesky and
// triangular solves, float64, chunked only as far as memory forces. Independent of the engine.
#include <torch/torch.h>

#include "core/greedy_driver.hpp"
#include "torch/tensors.hpp"

#include <algorithm>
#include <cmath>

#include "amf/error.hpp"
#include "amf/torch/torch_criterion.hpp"

namespace amf {
namespace {

using detail::lower_solve;
using detail::to_tensor;
using torch::indexing::Slice;

// Per term (left, right) tensors as in the engine (gp/feature_gram.hpp): a product (an explicit
// embedding, or a LayerNorm's delta o xhat and delta, each alone; right undefined) or a Linear
// layer (h, delta) on `tokens` tokens with its bias term.
struct Layers {
  std::vector<bool> linear;
  std::vector<int64_t> tokens;
  std::vector<double> bias;
  std::vector<torch::Tensor> left, right;
  Layers select(const torch::Tensor& rows) const {
    Layers out = *this;
    for (size_t l = 0; l < left.size(); ++l) {
      out.left[l] = left[l].index_select(0, rows);
      if (right[l].defined()) out.right[l] = right[l].index_select(0, rows);
    }
    return out;
  }
  void add(bool lin, torch::Tensor l, torch::Tensor r, int64_t t = 1, double b = 1.0) {
    linear.push_back(lin);
    left.push_back(std::move(l));
    right.push_back(std::move(r));
    tokens.push_back(t);
    bias.push_back(b);
  }
};

Layers to_layers(const FeatureSet& f, const torch::Device& dev) {
  Layers L;
  if (f.has_embedding()) L.add(false, to_tensor(f.embedding.host_matrix("embedding"), dev), {});
  for (const auto& layer : f.layers) {
    const auto in = to_tensor(layer.inputs.host_matrix("inputs"), dev),
               sig = to_tensor(layer.signals.host_matrix("signals"), dev);
    if (layer.kind == FactorisedLayer::Kind::LayerNorm) {
      L.add(false, sig * in, {});
      L.add(false, sig, {});
    } else {
      L.add(true, in, sig, layer.tokens, layer.bias ? 1.0 : 0.0);
    }
  }
  return L;
}

// k between A (..., P, .) and B (Q, .) row sets: (..., P, Q). A Linear layer on S tokens sums
// over the token pairs: (..., P, Q, S, S) products, reduced.
torch::Tensor gram(const Layers& A, const Layers& B) {
  torch::Tensor K;
  for (size_t l = 0; l < A.left.size(); ++l) {
    torch::Tensor term;
    if (!A.linear[l]) {
      term = A.left[l].matmul(B.left[l].transpose(-1, -2));
    } else if (A.tokens[l] == 1) {
      term = A.right[l].matmul(B.right[l].transpose(-1, -2)) * (A.left[l].matmul(B.left[l].transpose(-1, -2)) + A.bias[l]);
    } else {
      const int64_t S = A.tokens[l];
      auto pairs = [S](const torch::Tensor& a, const torch::Tensor& b) {
        return torch::einsum("...psi,qti->...pqst", {a.unflatten(-1, {S, -1}), b.unflatten(-1, {S, -1})});
      };
      term = (pairs(A.right[l], B.right[l]) * (pairs(A.left[l], B.left[l]) + A.bias[l])).sum({-2, -1});
    }
    K = K.defined() ? K + term : term;
  }
  return K;
}

// The diagonal k(z, z) of a row set, row by row (not through a full Gram).
torch::Tensor gram_diagonal(const Layers& Z) {
  torch::Tensor kzz;
  for (size_t l = 0; l < Z.left.size(); ++l) {
    torch::Tensor term;
    if (!Z.linear[l]) {
      term = Z.left[l].pow(2).sum(1);
    } else {
      const int64_t S = Z.tokens[l];
      const auto h = Z.left[l].unflatten(1, {S, -1}), d = Z.right[l].unflatten(1, {S, -1});
      term = (d.bmm(d.transpose(1, 2)) * (h.bmm(h.transpose(1, 2)) + Z.bias[l])).sum({1, 2});
    }
    kzz = kzz.defined() ? kzz + term : term;
  }
  return kzz;
}

}  // namespace

CriterionResult torch_feature_criterion(const FeatureCriterionProblem& problem, bool select,
                                        const std::string& device_name) {
  ResolvedFeatureProblem resolved;  // the baseline reads host float64, as the CPU backend does
  resolve_views(problem, /*keep_device_features=*/false, resolved);
  const FeatureCriterionProblem& p = resolved.problem;
  validate(p, select);
  if (has_groups(p))
    throw InvalidArgument("torch_feature_criterion: candidate_groups / target_groups are not supported by this "
                          "reference (pad each group's terms to every row instead: the same criterion)");
  torch::NoGradGuard no_grad;
  const torch::Device dev(device_name);
  const int64_t R = p.traj_offsets.size - 1, n = p.traj_offsets[R], N = p.candidate_logp.rows, K = p.target_logp.rows;
  std::vector<int64_t> off(p.traj_offsets.data, p.traj_offsets.data + R + 1);
  auto traj = torch::empty({n}, torch::kLong);
  for (int64_t i = 0; i < R; ++i) traj.index_put_({Slice(off[i], off[i + 1])}, i);
  auto sums = [&](const torch::Tensor& logp) {  // (rows, n) -> (rows, R) clipped per-trajectory sums
    return torch::zeros({logp.size(0), R}, torch::kFloat64).index_add_(1, traj, logp.clamp(p.clip.lo, p.clip.hi));
  };
  const auto own = sums(torch::from_blob(const_cast<double*>(p.own_logp.host_vector("own_logp").data), {1, n},
                                        torch::kFloat64).clone())[0];
  const auto Wc = torch::softmax(sums(to_tensor(p.candidate_logp.host_matrix("candidate_logp"), torch::kCPU)) - own, 1);
  const auto Wt = torch::softmax(sums(to_tensor(p.target_logp.host_matrix("target_logp"), torch::kCPU)) - own, 1);

  std::vector<int64_t> zrows;
  std::vector<double> omega;
  for (int64_t k = 0; k < K; ++k) {
    const int64_t largest = Wt[k].argmax().item<int64_t>();
    for (int64_t j = 0; j < R; ++j) {
      const double w = Wt[k][j].item<double>();
      if (!(p.target_probs[k] > 0 && (w >= p.min_weight || j == largest))) continue;
      for (int64_t t = off[j]; t < off[j + 1]; ++t) {
        zrows.push_back(target_feature_row(p, k, t));
        omega.push_back(p.target_probs[k] * w / (off[j + 1] - off[j]));
      }
    }
  }
  const Layers cand = to_layers(p.candidate_features, dev);
  const Layers Z = to_layers(p.target_features, dev).select(torch::tensor(zrows, torch::kLong).to(dev));
  const int64_t M = static_cast<int64_t>(zrows.size());
  const auto om = torch::tensor(omega, torch::kFloat64).to(dev);
  const torch::Tensor kzz = gram_diagonal(Z);

  struct Pair {
    int64_t c, i;
    double w;
  };
  std::vector<Pair> pairs;
  for (int64_t c = 0; c < N; ++c) {
    const int64_t largest = Wc[c].argmax().item<int64_t>();
    for (int64_t i = 0; i < R; ++i) {
      const double w = Wc[c][i].item<double>();
      if (w != 0.0 && (w >= p.min_weight || i == largest)) pairs.push_back({c, i, w});
    }
  }

  CriterionResult out;
  out.weights.assign(Wc.data_ptr<double>(), Wc.data_ptr<double>() + Wc.numel());
  out.num_target_points = M;
  std::vector<int64_t> picked;
  const double floor = (kzz.numel() ? kzz.max().item<double>() : 1.0) * 1e-12 + 1e-300;
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    torch::Tensor Lp, UZ, prior = kzz.clamp_min(floor);
    Layers Xp;
    if (!picked.empty()) {
      Xp = cand.select(torch::tensor(picked, torch::kLong).to(dev));
      Lp = torch::linalg_cholesky(gram(Xp, Xp) + p.noise_variance * torch::eye(picked.size(), torch::TensorOptions().dtype(torch::kFloat64).device(dev)));
      UZ = lower_solve(Lp, gram(Xp, Z));
      prior = (kzz - UZ.pow(2).sum(0)).clamp_min(floor);
    }
    auto J = torch::zeros({N}, torch::kFloat64), gain = torch::zeros({N}, torch::kFloat64);
    size_t q0 = 0;
    while (q0 < pairs.size()) {  // chunks of pairs with equal trajectory length
      const int64_t T = off[pairs[q0].i + 1] - off[pairs[q0].i];
      const int64_t limit = std::max<int64_t>(1, static_cast<int64_t>(detail::kTorchChunkBytes / (8.0 * T * (3 * M + T))));
      size_t q1 = q0;
      while (q1 < pairs.size() && static_cast<int64_t>(q1 - q0) < limit && off[pairs[q1].i + 1] - off[pairs[q1].i] == T) ++q1;
      const int64_t P = static_cast<int64_t>(q1 - q0);
      std::vector<int64_t> rows;
      std::vector<int64_t> cs;
      std::vector<double> ws;
      for (size_t q = q0; q < q1; ++q) {
        for (int64_t t = off[pairs[q].i]; t < off[pairs[q].i + 1]; ++t) rows.push_back(candidate_feature_row(p, pairs[q].c, t));
        cs.push_back(pairs[q].c);
        ws.push_back(pairs[q].w);
      }
      Layers X = cand.select(torch::tensor(rows, torch::kLong).to(dev));
      for (size_t l = 0; l < X.left.size(); ++l) {
        X.left[l] = X.left[l].reshape({P, T, -1});
        if (X.right[l].defined()) X.right[l] = X.right[l].reshape({P, T, -1});
      }
      auto G = gram(X, X);                                   // (P, T, T)
      auto C = gram(X, Z);                                   // (P, T, M), materialised
      if (!picked.empty()) {
        const auto UX = lower_solve(Lp, gram(Xp, X).permute({1, 0, 2}).reshape({static_cast<int64_t>(picked.size()), P * T}))
                            .reshape({static_cast<int64_t>(picked.size()), P, T}).permute({1, 0, 2});  // (P, m, T)
        G = G - UX.transpose(1, 2).bmm(UX);
        C = C - UX.transpose(1, 2).matmul(UZ);
      }
      G = G + p.noise_variance * torch::eye(T, torch::TensorOptions().dtype(torch::kFloat64).device(dev));
      const auto V = lower_solve(torch::linalg_cholesky(G), C);
      const auto v = (prior.unsqueeze(0) - V.pow(2).sum(1)).clamp_min(floor);  // (P, M)
      const auto ci = torch::tensor(cs, torch::kLong), wt = torch::tensor(ws, torch::kFloat64).to(dev);
      J.index_add_(0, ci, (wt * (om * torch::log(v)).sum(1)).cpu());
      gain.index_add_(0, ci, (wt * (om * 0.5 * torch::log(prior.unsqueeze(0) / v)).sum(1)).cpu());
      q0 = q1;
    }
    std::vector<double> Jv(J.data_ptr<double>(), J.data_ptr<double>() + N);
    if (b == 0) {
      out.J = Jv;
      out.info_gain.assign(gain.data_ptr<double>(), gain.data_ptr<double>() + N);
    }
    if (!select) break;
    const detail::ScoredCandidate pick = detail::best_in_range(Jv, 0);
    const int64_t best = pick.candidate;
    const int64_t pseudo = detail::record_pick(pick, Wc.contiguous().data_ptr<double>(), R, out);
    for (int64_t t = off[pseudo]; t < off[pseudo + 1]; ++t) picked.push_back(candidate_feature_row(p, best, t));
  }
  return out;
}

}  // namespace amf
