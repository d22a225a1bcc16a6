#include "study/run_checkpoint.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"

namespace amf {
namespace detail {

std::string run_checkpoint_path(const std::string& dir, int k, int seed) {
  return dir + "/run_k" + std::to_string(k) + "_seed" + std::to_string(seed) + ".json";
}

RunProgress load_run_progress(const std::string& path, const std::string& fingerprint) {
  RunProgress progress;
  if (!std::filesystem::exists(path)) return progress;
  nlohmann::json j;
  try {
    std::ifstream in(path);
    j = nlohmann::json::parse(in);
    if (j.at("fingerprint").get<std::string>() != fingerprint)
      throw InvalidArgument("checkpoint '" + path +
                            "' was written by a study with a different configuration; resume with the "
                            "same configuration or write to another results directory");
    for (const auto& [method, m] : j.at("methods").items()) {
      MethodProgress p;
      p.next_round = m.at("next_round").get<int>();
      p.rng = m.at("rng").get<std::string>();
      for (const auto& r : m.at("records"))
        p.records.push_back({r.at(0).get<int>(), r.at(1).get<int>(), r.at(2).get<int>(), r.at(3).get<int>(), method,
                             r.at(4).get<double>(), r.at(5).get<double>()});
      for (const auto& q : m.at("picks"))
        p.picks.push_back({q.at(0).get<int>(), q.at(1).get<int>(), q.at(2).get<int>(), method, q.at(3).get<double>()});
      for (const auto& d : m.at("demos"))
        p.demos.push_back({d.at("task").get<std::vector<double>>(), d.at("states").get<std::vector<double>>(),
                           d.at("actions").get<std::vector<double>>()});
      progress[method] = std::move(p);
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("checkpoint '" + path + "' is unreadable (" + e.what() +
                          "); move it away to recompute that run");
  }
  return progress;
}

void save_run_progress(const std::string& path, const std::string& fingerprint, const RunProgress& progress) {
  nlohmann::json j;
  j["fingerprint"] = fingerprint;
  j["methods"] = nlohmann::json::object();
  for (const auto& [method, p] : progress) {
    nlohmann::json m;
    m["next_round"] = p.next_round;
    m["rng"] = p.rng;
    m["records"] = nlohmann::json::array();
    for (const auto& r : p.records)
      m["records"].push_back({r.k, r.seed, r.round, r.demos, r.multitask_return, r.entropy});
    m["picks"] = nlohmann::json::array();
    for (const auto& q : p.picks) m["picks"].push_back({q.k, q.seed, q.round, q.angle});
    m["demos"] = nlohmann::json::array();
    for (const auto& d : p.demos) m["demos"].push_back({{"task", d.task}, {"states", d.states}, {"actions", d.actions}});
    j["methods"][method] = std::move(m);
  }
  write_file_atomic(path, j.dump());  // doubles round-trip exactly through nlohmann's dump
}

}  // namespace detail
}  // namespace amf
