// The AMF-GP criterion as a PyTorch user would write it with LibTorch: batched tensor ops,
// materialised Gram blocks, torch::linalg Cholesky and triangular solves, float64, chunked only as
// far as memory forces (detail::kTorchChunkBytes per materialised block). Greedy conditioning refactorises the
// enlarged Gram. It shares no code with the engine, so it checks it, and is its speed yardstick.
#include "amf/torch/torch_criterion.hpp"

#include <torch/torch.h>

#include "core/greedy_driver.hpp"
#include "torch/tensors.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace amf {
namespace {

using detail::lower_solve;
using detail::to_tensor;
using torch::indexing::Slice;

struct Rbf {
  int64_t ds;
  KernelParams p;
  // Works on (.., P, d) x (.., Q, d) -> (.., P, Q).
  torch::Tensor operator()(const torch::Tensor& A, const torch::Tensor& B) const {
    auto dss = torch::cdist(A.index({"...", Slice(0, ds)}), B.index({"...", Slice(0, ds)})).pow(2);
    auto dcc = torch::cdist(A.index({"...", Slice(ds)}), B.index({"...", Slice(ds)})).pow(2);
    return p.signal_variance * torch::exp(-0.5 * dss / (p.state_lengthscale * p.state_lengthscale) -
                                          0.5 * dcc / (p.task_lengthscale * p.task_lengthscale));
  }
};

}  // namespace

CriterionResult torch_reference_criterion(const CriterionProblem& p, bool select, const std::string& device_name) {
  validate(p, select);
  torch::NoGradGuard no_grad;
  const torch::Device dev(device_name);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(dev);
  const auto i64 = torch::TensorOptions().dtype(torch::kLong).device(dev);
  const int64_t ds = p.state_dim(), da = p.action_dim(), dc = p.task_dim(), R = p.num_trajectories();
  const Rbf k{ds, p.kernel};
  const double s2 = p.noise_variance, sf2 = p.kernel.signal_variance;
  const auto S = to_tensor(p.pool_states, dev), A = to_tensor(p.pool_actions, dev), C = to_tensor(p.pool_tasks, dev);
  const auto cand = to_tensor(p.candidates, dev), targ = to_tensor(p.targets, dev);
  const int64_t n = S.size(0), N = cand.size(0);
  std::vector<int64_t> off(p.traj_offsets.data, p.traj_offsets.data + R + 1);
  auto traj_of_step = torch::empty({n}, i64);
  for (int64_t i = 0; i < R; ++i) traj_of_step.index_put_({Slice(off[i], off[i + 1])}, i);
  const auto eye = [&](int64_t m) { return torch::eye(m, f64); };

  const auto XD = torch::cat({S, C.index_select(0, traj_of_step)}, 1);
  const auto L = torch::linalg_cholesky(k(XD, XD) + s2 * eye(n));
  const auto alpha = torch::cholesky_solve(A, L);

  // Clipped log pi(a | x) summed per trajectory, for a batch of relabelled pools P: (B, n, dx).
  auto traj_loglik = [&](const torch::Tensor& P) {
    const int64_t B = P.size(0);
    const auto kx = k(XD, P.reshape({B * n, -1}));                          // (n, B n)
    const auto mean = kx.t().matmul(alpha).reshape({B, n, da});
    const auto var = (sf2 - lower_solve(L, kx).pow(2).sum(0)).clamp_min(0).reshape({B, n}) + s2;
    const auto lp = -0.5 * ((A.unsqueeze(0) - mean).pow(2).sum(2) / var + da * torch::log(2 * M_PI * var));
    return torch::zeros({B, R}, f64).index_add_(1, traj_of_step, lp.clamp(p.clip.lo, p.clip.hi));
  };
  const auto own = traj_loglik(XD.unsqueeze(0))[0];
  auto weights_for = [&](const torch::Tensor& tasks) {
    const int64_t chunk = std::max<int64_t>(1, static_cast<int64_t>(detail::kTorchChunkBytes / (8.0 * 2 * n * n)));
    std::vector<torch::Tensor> parts;
    for (int64_t c0 = 0; c0 < tasks.size(0); c0 += chunk) {
      const auto t = tasks.index({Slice(c0, std::min(c0 + chunk, tasks.size(0)))});
      const auto P = torch::cat({S.unsqueeze(0).expand({t.size(0), n, ds}), t.unsqueeze(1).expand({t.size(0), n, dc})}, 2);
      parts.push_back(torch::softmax(traj_loglik(P) - own, 1));
    }
    return torch::cat(parts, 0);
  };
  // Weights are inspected per element below: keep host copies.
  const auto Wc = weights_for(cand).cpu(), Wt = weights_for(targ).cpu();

  // Target occupancy: each target's kept trajectories (weight >= min_weight, or its largest).
  std::vector<torch::Tensor> zpts;
  std::vector<double> omega;
  for (int64_t kk = 0; kk < targ.size(0); ++kk) {
    const int64_t largest = Wt[kk].argmax().item<int64_t>();
    for (int64_t j = 0; j < R; ++j) {
      const double w = Wt[kk][j].item<double>();
      if (!(p.target_probs[kk] > 0 && (w >= p.min_weight || j == largest))) continue;
      zpts.push_back(torch::cat({S.index({Slice(off[j], off[j + 1])}), targ[kk].expand({off[j + 1] - off[j], dc})}, 1));
      omega.insert(omega.end(), off[j + 1] - off[j], p.target_probs[kk] * w / (off[j + 1] - off[j]));
    }
  }
  const auto Z = torch::cat(zpts, 0);
  const auto om = torch::tensor(omega, torch::kFloat64).to(dev);
  const int64_t M = Z.size(0);

  // The (candidate, trajectory) pairs that enter the sums, grouped by trajectory length.
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> pairs_by_T;
  for (int64_t c = 0; c < N; ++c) {
    const int64_t largest = Wc[c].argmax().item<int64_t>();
    for (int64_t i = 0; i < R; ++i) {
      const double w = Wc[c][i].item<double>();
      if (w != 0.0 && (w >= p.min_weight || i == largest)) pairs_by_T[off[i + 1] - off[i]].push_back({c, i});
    }
  }

  CriterionResult out;
  out.weights.assign(Wc.data_ptr<double>(), Wc.data_ptr<double>() + Wc.numel());
  out.num_target_points = M;
  auto cond = XD;  // conditioning inputs: the pool, then the pseudo-demonstrations
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    const int64_t nc = cond.size(0);
    const auto Lc = torch::linalg_cholesky(k(cond, cond) + s2 * eye(nc));
    const auto UZ = lower_solve(Lc, k(cond, Z));                                  // (nc, M)
    const double floor = sf2 * 1e-12 + 1e-300;                                    // as tile::variance_floor
    const auto prior = (sf2 - UZ.pow(2).sum(0)).clamp_min(floor);
    auto J = torch::zeros({N}, f64), gain = torch::zeros({N}, f64);
    for (const auto& [T, pairs] : pairs_by_T) {
      const int64_t chunk = std::max<int64_t>(1, static_cast<int64_t>(detail::kTorchChunkBytes / (8.0 * T * (2 * M + nc))));
      for (size_t q0 = 0; q0 < pairs.size(); q0 += chunk) {
        const int64_t P = std::min<int64_t>(chunk, pairs.size() - q0);
        std::vector<int64_t> cs(P), rows(P * T);
        for (int64_t q = 0; q < P; ++q) {
          cs[q] = pairs[q0 + q].first;
          for (int64_t t = 0; t < T; ++t) rows[q * T + t] = off[pairs[q0 + q].second] + t;
        }
        const auto ci = torch::tensor(cs, torch::kLong).to(dev);
        const auto X = torch::cat({S.index_select(0, torch::tensor(rows, torch::kLong).to(dev)).reshape({P, T, ds}),
                                   cand.index_select(0, ci).unsqueeze(1).expand({P, T, dc})}, 2);  // (P, T, dx)
        const auto UX = lower_solve(Lc, k(cond, X.reshape({P * T, -1}))).reshape({nc, P, T}).permute({1, 0, 2});
        const auto G = k(X, X) - UX.transpose(1, 2).bmm(UX) + s2 * eye(T);                          // (P, T, T)
        const auto CXZ = k(X.reshape({P * T, -1}), Z).reshape({P, T, M}) - UX.transpose(1, 2).matmul(UZ);
        const auto V = lower_solve(torch::linalg_cholesky(G), CXZ);                                 // (P, T, M)
        const auto v = (prior.unsqueeze(0) - V.pow(2).sum(1)).clamp_min(floor);                    // (P, M)
        std::vector<double> w(P);
        for (int64_t q = 0; q < P; ++q) w[q] = Wc[cs[q]][pairs[q0 + q].second].item<double>();
        const auto wt = torch::tensor(w, torch::kFloat64).to(dev);
        J.index_add_(0, ci, wt * (om * torch::log(v)).sum(1));
        gain.index_add_(0, ci, wt * (om * 0.5 * torch::log(prior.unsqueeze(0) / v)).sum(1));
      }
    }
    const auto Jh = J.cpu(), gain_h = gain.cpu();
    std::vector<double> Jv(Jh.data_ptr<double>(), Jh.data_ptr<double>() + N);
    if (b == 0) {
      out.J = Jv;
      out.info_gain.assign(gain_h.data_ptr<double>(), gain_h.data_ptr<double>() + N);
    }
    if (!select) break;
    const detail::ScoredCandidate pick = detail::best_in_range(Jv, 0);
    const int64_t best = pick.candidate;
    const int64_t pseudo = detail::record_pick(pick, Wc.contiguous().data_ptr<double>(), R, out);
    cond = torch::cat({cond, torch::cat({S.index({Slice(off[pseudo], off[pseudo + 1])}),
                                         cand[best].expand({off[pseudo + 1] - off[pseudo], dc})}, 1)}, 0);
  }
  return out;
}

}  // namespace amf
