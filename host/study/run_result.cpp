#include "study/run_result.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"

namespace amf {
namespace detail {

void save_run_result(const std::string& path, const GpStudyResults& results) {
  nlohmann::json j;
  j["rounds"] = nlohmann::json::array();
  for (const auto& r : results.rounds)
    j["rounds"].push_back({r.k, r.seed, r.round, r.demos, r.method, r.multitask_return, r.entropy});
  j["picks"] = nlohmann::json::array();
  for (const auto& p : results.picks) j["picks"].push_back({p.k, p.seed, p.round, p.method, p.angle});
  write_file_atomic(path, j.dump());  // doubles round-trip exactly
}

GpStudyResults load_run_result(const std::string& path) {
  GpStudyResults out;
  try {
    std::ifstream in(path);
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& r : j.at("rounds"))
      out.rounds.push_back({r.at(0).get<int>(), r.at(1).get<int>(), r.at(2).get<int>(), r.at(3).get<int>(),
                            r.at(4).get<std::string>(), r.at(5).get<double>(), r.at(6).get<double>()});
    for (const auto& p : j.at("picks"))
      out.picks.push_back({p.at(0).get<int>(), p.at(1).get<int>(), p.at(2).get<int>(), p.at(3).get<std::string>(),
                           p.at(4).get<double>()});
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("run result '" + path + "' is unreadable (" + e.what() +
                          "); delete it to recompute that run");
  }
  return out;
}

}  // namespace detail
}  // namespace amf
