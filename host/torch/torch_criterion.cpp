#include "amf/torch_criterion.hpp"

#include <torch/torch.h>

#include <cmath>

namespace amf {
namespace {

using torch::indexing::Slice;

torch::Tensor to_tensor(const MatrixView<double>& m) {
  auto t = torch::empty({m.rows, m.cols}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) a[r][c] = m(r, c);
  return t;
}

struct Rbf {
  int64_t ds;
  KernelParams p;
  torch::Tensor operator()(const torch::Tensor& A, const torch::Tensor& B) const {
    auto dss = torch::cdist(A.index({Slice(), Slice(0, ds)}), B.index({Slice(), Slice(0, ds)})).pow(2);
    auto dcc = torch::cdist(A.index({Slice(), Slice(ds)}), B.index({Slice(), Slice(ds)})).pow(2);
    return p.signal_variance *
           torch::exp(-0.5 * dss / (p.state_lengthscale * p.state_lengthscale) -
                      0.5 * dcc / (p.task_lengthscale * p.task_lengthscale));
  }
};

// Inputs of pool steps relabelled with one task: (s_it, c) for every pool step.
torch::Tensor relabel(const torch::Tensor& S, const torch::Tensor& task) {
  return torch::cat({S, task.unsqueeze(0).expand({S.size(0), task.size(0)})}, 1);
}

}  // namespace

CriterionResult torch_reference_criterion(const CriterionProblem& p, bool select) {
  validate(p, select);
  torch::NoGradGuard no_grad;
  const int64_t ds = p.state_dim(), da = p.action_dim(), R = p.num_trajectories();
  const Rbf k{ds, p.kernel};
  const double s2 = p.noise_variance;
  const auto S = to_tensor(p.pool_states), A = to_tensor(p.pool_actions), C = to_tensor(p.pool_tasks);
  const auto cand = to_tensor(p.candidates), targ = to_tensor(p.targets);
  std::vector<int64_t> off(p.traj_offsets.data, p.traj_offsets.data + R + 1);
  auto traj_of_step = torch::empty({off.back()}, torch::kLong);
  for (int64_t i = 0; i < R; ++i) traj_of_step.index_put_({Slice(off[i], off[i + 1])}, i);

  const auto XD = torch::cat({S, C.index_select(0, traj_of_step)}, 1);
  const auto eye = [](int64_t n) { return torch::eye(n, torch::kFloat64); };
  const auto L = torch::linalg::cholesky(k(XD, XD) + s2 * eye(XD.size(0)));
  const auto alpha = torch::cholesky_solve(A, L);

  // Per-trajectory sums of clipped log pi(a_it | x) at the points P (pool order).
  auto traj_loglik = [&](const torch::Tensor& P) {
    const auto kx = k(XD, P);
    const auto mean = kx.t().matmul(alpha);
    const auto var = (p.kernel.signal_variance -
                      torch::linalg::solve_triangular(L, kx, /*upper=*/false, /*left=*/true, /*unitriangular=*/false).pow(2).sum(0)).clamp_min(0) + s2;
    const auto lp = -0.5 * ((A - mean).pow(2).sum(1) / var + da * torch::log(2 * M_PI * var));
    return torch::zeros({R}, torch::kFloat64).index_add_(0, traj_of_step, lp.clamp(p.clip.lo, p.clip.hi));
  };
  const auto own = traj_loglik(XD);
  auto weights_for = [&](const torch::Tensor& tasks) {
    std::vector<torch::Tensor> rows;
    for (int64_t c = 0; c < tasks.size(0); ++c)
      rows.push_back(torch::softmax(traj_loglik(relabel(S, tasks[c])) - own, 0));
    return torch::stack(rows);
  };
  const auto Wc = weights_for(cand), Wt = weights_for(targ);

  // Target occupancy.
  std::vector<torch::Tensor> zpts;
  std::vector<double> omega;
  for (int64_t kk = 0; kk < targ.size(0); ++kk)
    for (int64_t j = 0; j < R; ++j) {
      const double w = Wt[kk][j].item<double>();
      const bool largest = Wt[kk].argmax().item<int64_t>() == j;  // never pruned
      if (!(p.target_probs[kk] > 0 && (w >= p.min_weight || largest))) continue;
      zpts.push_back(relabel(S.index({Slice(off[j], off[j + 1])}), targ[kk]));
      omega.insert(omega.end(), off[j + 1] - off[j], p.target_probs[kk] * w / (off[j + 1] - off[j]));
    }
  CriterionResult out;
  out.weights.assign(Wc.data_ptr<double>(), Wc.data_ptr<double>() + Wc.numel());
  out.num_target_points = static_cast<int64_t>(omega.size());
  const int64_t N = cand.size(0);
  const auto Z = torch::cat(zpts, 0);
  const auto om = torch::tensor(omega, torch::kFloat64);

  auto cond = XD;  // conditioning inputs: the pool, then the pseudo-demonstrations
  const int picks = select ? p.batch_size : 1;
  for (int b = 0; b < picks; ++b) {
    const auto Lc = torch::linalg::cholesky(k(cond, cond) + s2 * eye(cond.size(0)));
    // k_D(a, b) = k(a, b) - k(a, X) (K + s2 I)^-1 k(X, b)
    auto kD = [&](const torch::Tensor& P, const torch::Tensor& Q) {
      const auto UP = torch::linalg::solve_triangular(Lc, k(cond, P), false, true, false);
      const auto UQ = torch::linalg::solve_triangular(Lc, k(cond, Q), false, true, false);
      return k(P, Q) - UP.t().matmul(UQ);
    };
    const double floor = p.kernel.signal_variance * 1e-12 + 1e-300;  // as tile::variance_floor
    const auto prior = kD(Z, Z).diagonal().clamp_min(floor);
    std::vector<double> J(N, 0.0), gain(N, 0.0);
    for (int64_t c = 0; c < N; ++c)
      for (int64_t i = 0; i < R; ++i) {
        const double w = Wc[c][i].item<double>();
        if (w == 0.0 || (w < p.min_weight && Wc[c].argmax().item<int64_t>() != i)) continue;
        const auto X = relabel(S.index({Slice(off[i], off[i + 1])}), cand[c]);
        const auto G = kD(X, X) + s2 * eye(X.size(0));
        const auto V = torch::linalg::solve_triangular(torch::linalg::cholesky(G), kD(X, Z), false, true, false);
        const auto v = (prior - V.pow(2).sum(0)).clamp_min(floor);
        J[c] += w * (om * torch::log(v)).sum().item<double>();
        gain[c] += w * (om * 0.5 * torch::log(prior / v)).sum().item<double>();
      }
    if (b == 0) {
      out.J = J;
      out.info_gain = gain;
    }
    if (!select) break;
    const int64_t best = std::min_element(J.begin(), J.end()) - J.begin();
    const int64_t pseudo = Wc[best].argmax().item<int64_t>();
    out.batch.push_back(best);
    out.batch_J.push_back(J[best]);
    out.pseudo_demo_trajectory.push_back(pseudo);
    cond = torch::cat({cond, relabel(S.index({Slice(off[pseudo], off[pseudo + 1])}), cand[best])}, 0);
  }
  return out;
}

}  // namespace amf
