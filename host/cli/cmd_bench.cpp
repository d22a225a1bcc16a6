// amf bench: criterion evaluations on generated AMF-GP workloads, one Markdown table row per
// (backend, size) with mean +- std over repeats (llama-bench style), or CSV/JSON.
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "amf/dataset.hpp"
#include "amf/error.hpp"
#include "amf/harness/integrator2d.hpp"
#include "cli/commands.hpp"

namespace amf {
namespace cli {
namespace {

struct Size {
  int N, R, T, K;
};

Size parse_size(const std::string& text) {
  Size s{};
  char sep[3];
  std::istringstream in(text);
  if (!(in >> s.N >> sep[0] >> s.R >> sep[1] >> s.T >> sep[2] >> s.K) || sep[0] != 'x' || sep[1] != 'x' ||
      sep[2] != 'x' || s.N < 1 || s.R < 1 || s.T < 1 || s.K < 1)
    throw InvalidArgument("--size '" + text + "' must be NxRxTxK with positive integers, e.g. 200x50x20x12");
  return s;
}

}  // namespace

Command add_bench(CLI::App& app) {
  struct Options {
    std::vector<std::string> backends{"cpu"}, sizes{"100x24x20x12", "200x50x20x12"};
    int repeats = 3;
    std::string format = "md";
  };
  auto o = std::make_shared<Options>();
  auto* b = app.add_subcommand("bench", "Time criterion evaluations on generated AMF-GP workloads");
  b->add_option("--backend", o->backends, "Backends to time (cpu, cuda, auto); repeat for several");
  b->add_option("--size", o->sizes, "Workload NxRxTxK: candidates x pool trajectories x steps x targets");
  b->add_option("--repeats", o->repeats, "Timed evaluations per row (after one warm-up)")->check(CLI::Range(1, 100));
  b->add_option("--format", o->format, "md, csv or json")->check(CLI::IsMember({"md", "csv", "json"}));
  return [o] {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& size_text : o->sizes) {
      const Size sz = parse_size(size_text);
      Integrator2DConfig env_cfg;
      env_cfg.horizon = sz.T;
      Integrator2D env(env_cfg);
      const Integrator2DExpert expert(env_cfg);
      std::mt19937_64 rng(1);
      std::uniform_real_distribution<double> angle(0.0, 6.283185307179586);
      Dataset data(2, 2, 2);
      for (int i = 0; i < sz.R; ++i) data.add(demonstrate(env, expert, goal_of_angle(angle(rng), 1.0), 0.05, i));
      std::vector<double> cands, targs, probs(sz.K, 1.0 / sz.K);
      for (int c = 0; c < sz.N; ++c) {
        const auto g = goal_of_angle(angle(rng), 1.0);
        cands.insert(cands.end(), g.begin(), g.end());
      }
      for (int k = 0; k < sz.K; ++k) {
        const auto g = evaluation_task(k, sz.K, 1.0);
        targs.insert(targs.end(), g.begin(), g.end());
      }
      const PoolArrays pool(data);
      CriterionProblem p;
      pool.attach(p);
      p.candidates = MatrixView<double>(cands.data(), sz.N, 2);
      p.targets = MatrixView<double>(targs.data(), sz.K, 2);
      p.target_probs = VectorView<double>(probs);
      p.kernel = {0.5, 0.5, 0.1};
      p.noise_variance = 0.0025;
      for (const auto& name : o->backends) {
        auto backend = make_backend(parse_backend_kind(name));
        evaluate_criterion(p, *backend);  // warm-up
        std::vector<double> t;
        for (int r = 0; r < o->repeats; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          evaluate_criterion(p, *backend);
          t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          std::cerr << "\r[amf bench] " << backend->name() << " " << size_text << " " << r + 1 << "/" << o->repeats << "   ";
        }
        double mean = 0, var = 0;
        for (double x : t) mean += x / t.size();
        for (double x : t) var += (x - mean) * (x - mean) / std::max<std::size_t>(1, t.size() - 1);
        rows.push_back({{"backend", backend->name()}, {"N", sz.N}, {"R", sz.R}, {"T", sz.T}, {"K", sz.K},
                        {"mean_s", mean}, {"std_s", std::sqrt(var)}, {"candidates_per_s", sz.N / mean}});
      }
    }
    std::cerr << "\n";
    if (o->format == "json") {
      std::cout << rows.dump(2) << "\n";
    } else if (o->format == "csv") {
      std::cout << "backend,N,R,T,K,mean_s,std_s,candidates_per_s\n";
      for (const auto& r : rows)
        std::cout << r["backend"].get<std::string>() << ',' << r["N"] << ',' << r["R"] << ',' << r["T"] << ',' << r["K"]
                  << ',' << r["mean_s"] << ',' << r["std_s"] << ',' << r["candidates_per_s"] << "\n";
    } else {
      std::cout << "| backend | N | R | T | K | seconds (mean ± std) | candidates/s |\n|---|---|---|---|---|---|---|\n";
      for (const auto& r : rows) {
        char cell[64];
        std::snprintf(cell, sizeof cell, "%.4f ± %.4f", r["mean_s"].get<double>(), r["std_s"].get<double>());
        std::cout << "| " << r["backend"].get<std::string>() << " | " << r["N"] << " | " << r["R"] << " | " << r["T"]
                  << " | " << r["K"] << " | " << cell << " | " << std::lround(r["candidates_per_s"].get<double>())
                  << " |\n";
      }
    }
    return kExitOk;
  };
}

}  // namespace cli
}  // namespace amf
