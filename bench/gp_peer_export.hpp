#pragma once
// Exports an AMF-GP workload's posterior-variance problem for the GPyTorch peer
// (bench/gpytorch_peer.py): the conditioning set (the pool, each step with its own task), the
// target-occupancy points and weights, and for a few candidates every kept (candidate, pool
// trajectory) pair's relabelled points with its importance weight and the engine's J(c). The
// peer recomputes J(c) = sum_i w_i sum_z omega_z log v(z | pool + X_i(c)) with GPyTorch and with
// a float64 numpy textbook, and times GPyTorch per pair against the engine's whole run.
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "prep/pool_data.hpp"
#include "prep/target_occupancy.hpp"

namespace amf_bench {

inline void write_doubles(const std::string& path, const double* data, std::size_t count) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(double)));
}

// How many pairs a result's weights keep (the backends' own pruning rule).
inline std::int64_t kept_pairs(const amf::CriterionResult& r, std::int64_t R, double min_weight) {
  const std::int64_t N = static_cast<std::int64_t>(r.weights.size()) / R;
  return static_cast<std::int64_t>(amf::detail::kept_pairs(r.weights.data(), N, R, min_weight).size());
}

// `dir` must exist. engine_seconds / engine_pairs: the timed engine run the peer is compared with.
inline void export_gp_peer_problem(const amf::CriterionProblem& p, const std::string& dir, int candidates,
                                   const std::string& engine_label, double engine_seconds,
                                   std::int64_t engine_pairs) {
  namespace d = amf::detail;
  const d::PoolData pool = d::gather_pool(p);
  const std::int64_t R = pool.num_trajectories();
  // One CPU evaluation whose candidates are the first few candidates followed by the targets: its
  // first rows give those candidates' J and weights, the rest the targets' importance weights (the
  // backends compute both with one function).
  const std::int64_t few = std::min<std::int64_t>(candidates, p.candidates.rows), K = p.targets.rows;
  const int dc = static_cast<int>(p.candidates.cols);
  std::vector<double> tasks(static_cast<std::size_t>((few + K) * dc));
  for (std::int64_t c = 0; c < few; ++c) std::copy_n(p.candidates.row(c), dc, tasks.data() + c * dc);
  for (std::int64_t k = 0; k < K; ++k) std::copy_n(p.targets.row(k), dc, tasks.data() + (few + k) * dc);
  amf::CriterionProblem both = p;
  both.candidates = {tasks.data(), few + K, p.candidates.cols};
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  const amf::CriterionResult r = amf::evaluate_criterion(both, *cpu);
  d::RowMatrix target_w(K, R);
  std::copy(r.weights.begin() + few * R, r.weights.end(), target_w.data());
  const d::TargetOccupancy occ = d::target_occupancy(pool, p, target_w);

  write_doubles(dir + "/pool_X.bin", pool.X.data(), pool.X.size());
  write_doubles(dir + "/Z.bin", occ.points.data(), occ.points.size());
  write_doubles(dir + "/omega.bin", occ.weight.data(), occ.weight.size());
  std::vector<double> pair_points;
  std::string cand_json;
  const std::vector<amf::CandidatePair> kept = d::kept_pairs(r.weights.data(), few, R, p.min_weight);
  for (std::int64_t c = 0; c < few; ++c) {
    std::string pairs;
    for (const amf::CandidatePair& q : kept) {
      if (q.candidate != c) continue;
      const std::int64_t i = q.trajectory;
      const double w = q.weight;
      d::RowMatrix X(pool.steps(i), pool.X.cols());
      d::relabel_trajectory(pool, i, p.candidates.row(c), X, 0);
      pair_points.insert(pair_points.end(), X.data(), X.data() + X.size());
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s{\"trajectory\": %lld, \"steps\": %lld, \"weight\": %.17g}",
                    pairs.empty() ? "" : ", ", static_cast<long long>(i), static_cast<long long>(pool.steps(i)), w);
      pairs += buf;
    }
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s{\"index\": %lld, \"J_engine\": %.17g, \"pairs\": [", cand_json.empty() ? "" : ",\n  ",
                  static_cast<long long>(c), r.J[c]);
    cand_json += buf + pairs + "]}";
  }
  write_doubles(dir + "/pair_X.bin", pair_points.data(), pair_points.size());
  std::ofstream meta(dir + "/meta.json");
  char head[1024];
  std::snprintf(head, sizeof head,
                "{\"n\": %lld, \"state_dim\": %d, \"task_dim\": %d, \"M\": %lld, \"state_lengthscale\": %.17g, "
                "\"task_lengthscale\": %.17g, \"signal_variance\": %.17g, \"noise_variance\": %.17g, "
                "\"engine\": \"%s\", \"engine_seconds\": %.17g, \"engine_pairs\": %lld,\n \"candidates\": [\n  ",
                static_cast<long long>(pool.X.rows()), pool.state_dim, pool.task_dim,
                static_cast<long long>(occ.points.rows()), p.kernel.state_lengthscale, p.kernel.task_lengthscale,
                p.kernel.signal_variance, p.noise_variance, engine_label.c_str(), engine_seconds,
                static_cast<long long>(engine_pairs));
  meta << head << cand_json << "]}\n";
}

}  // namespace amf_bench
