// TOML study configuration: a schema of typed fields per section. The preset is applied first,
// then every field the file sets; unknown fields are errors, never silently ignored.
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>
#include <system_error>

#include "amf/harness/config.hpp"
#include "amf/error.hpp"
#include "io/study_config_schema.hpp"

namespace amf {
namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& msg) const {
    throw InvalidArgument(path_ + ": field '" + field + "' " + msg);
  }

  long long integer(const toml::node& n, const std::string& field) const {
    if (auto v = n.value_exact<int64_t>()) return *v;
    fail(field, "must be an integer (got " + type_name(n) + ")");
  }
  double number(const toml::node& n, const std::string& field) const {
    if (n.is_integer()) return static_cast<double>(*n.value_exact<int64_t>());
    if (auto v = n.value_exact<double>()) return *v;
    fail(field, "must be a number (got " + type_name(n) + ")");
  }
  std::string string(const toml::node& n, const std::string& field) const {
    if (auto v = n.value_exact<std::string>()) return *v;
    fail(field, "must be a string (got " + type_name(n) + ")");
  }
  const toml::array& array(const toml::node& n, const std::string& field) const {
    if (const auto* a = n.as_array()) return *a;
    fail(field, "must be an array (got " + type_name(n) + ")");
  }
  int int32(const toml::node& n, const std::string& field) const {
    const long long v = integer(n, field);
    if (v < -2147483647LL || v > 2147483647LL) fail(field, "= " + std::to_string(v) + " is out of range");
    return static_cast<int>(v);
  }

 private:
  std::string path_;
};

// The Reader is an argument, not captured, so that the table is built once (schema()).
using Setter = std::function<void(const Reader&, const toml::node&, const std::string& field, StudyRunConfig&)>;
using Schema = std::map<std::string, std::map<std::string, Setter>>;

Schema make_schema() {
  auto i32 = [](int GpStudyConfig::*m) {
    return Setter([m](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.*m = r.int32(n, f); });
  };
  auto num = [](double GpStudyConfig::*m) {
    return Setter([m](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.*m = r.number(n, f); });
  };
  auto env_num = [](double Integrator2DConfig::*m) {
    return Setter([m](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.env.*m = r.number(n, f); });
  };
  auto kern = [](double KernelParams::*m) {
    return Setter([m](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.kernel.*m = r.number(n, f); });
  };
  return {
      {"", {{"study", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.study = r.string(n, f); }},
            {"preset", [](const Reader&, const toml::node&, const std::string&, StudyRunConfig&) {}},  // read first
            {"out", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.out_dir = r.string(n, f); }}}},
      {"run",
       {{"seeds", i32(&GpStudyConfig::seeds)},
        {"first_seed", i32(&GpStudyConfig::first_seed)},
        {"rounds", i32(&GpStudyConfig::rounds)},
        {"batch_size", i32(&GpStudyConfig::batch_size)},
        {"threads", i32(&GpStudyConfig::threads)},
        {"base_seed", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) {
           const long long v = r.integer(n, f);
           if (v < 0) r.fail(f, "= " + std::to_string(v) + " (must be >= 0)");
           c.gp.base_seed = static_cast<std::uint64_t>(v);
         }},
        {"backend", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.backend = r.string(n, f); }},
        {"k_values", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) {
           c.gp.k_values.clear();
           for (const auto& e : r.array(n, f)) c.gp.k_values.push_back(r.int32(e, f + "[]"));
         }},
        {"methods", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) {
           c.gp.methods.clear();
           for (const auto& e : r.array(n, f)) c.gp.methods.push_back(r.string(e, f + "[]"));
         }}}},
      {"selection",
       {{"shooting_budget", i32(&GpStudyConfig::shooting_budget)},
        {"min_weight", num(&GpStudyConfig::min_weight)},
        {"clip", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) {
           const auto& a = r.array(n, f);
           if (a.size() != 2) r.fail(f, "must be [lo, hi] (got " + std::to_string(a.size()) + " values)");
           c.gp.clip = {r.number(*a.get(0), f + "[0]"), r.number(*a.get(1), f + "[1]")};
         }}}},
      {"policy",
       {{"state_lengthscale", kern(&KernelParams::state_lengthscale)},
        {"task_lengthscale", kern(&KernelParams::task_lengthscale)},
        {"signal_variance", kern(&KernelParams::signal_variance)},
        {"noise_variance", num(&GpStudyConfig::noise_variance)}}},
      {"env",
       {{"horizon", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.env.horizon = r.int32(n, f); }},
        {"radius", env_num(&Integrator2DConfig::radius)},
        {"max_speed", env_num(&Integrator2DConfig::max_speed)},
        {"expert_gain", env_num(&Integrator2DConfig::expert_gain)},
        {"expert_noise_std", num(&GpStudyConfig::expert_noise_std)},
        {"exec_noise_std", num(&GpStudyConfig::exec_noise_std)},
        {"num_eval_tasks", i32(&GpStudyConfig::num_eval_tasks)},
        {"pretrain_demos", i32(&GpStudyConfig::pretrain_demos)},
        {"episodes_per_task", i32(&GpStudyConfig::episodes_per_task)}}},
      {"report",
       {{"bootstrap_resamples", i32(&GpStudyConfig::bootstrap_resamples)},
        {"interval", [](const Reader& r, const toml::node& n, const std::string& f, StudyRunConfig& c) { c.gp.interval = r.string(n, f); }},
        {"confidence", num(&GpStudyConfig::confidence)}}},
  };
}

// Built once: set_study_field runs for every axis of every grid point of a sweep, and building
// the table on each call made a 16-axis sweep of 65536 points take minutes to load.
const Schema& schema() {
  static const Schema kSchema = make_schema();
  return kSchema;
}

std::vector<std::string> keys_of(const std::map<std::string, Setter>& m) {
  std::vector<std::string> k;
  for (const auto& [name, _] : m) k.push_back(name);
  return k;
}

}  // namespace

std::string nearest_name(const std::string& name, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& k : known) {
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(k.size() + 1);
    for (std::size_t j = 0; j <= k.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= name.size(); ++i) {
      std::size_t diag = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= k.size(); ++j) {
        const std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (name[i - 1] == k[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    if (row[k.size()] < best_d) {
      best_d = row[k.size()];
      best = k;
    }
  }
  return best_d <= std::max<std::size_t>(2, name.size() / 3) ? best : std::string();
}

namespace detail {

toml::table parse_toml_file(const std::string& path) {
  std::error_code ec;  // the throwing overloads would throw std::filesystem::filesystem_error (EACCES)
  if (!std::filesystem::is_regular_file(path, ec))
    throw InvalidArgument("config file '" + path + "' does not exist or is not a regular file");
  // A study or sweep file is a few kilobytes: a large one is another file given by mistake.
  constexpr std::uintmax_t kMaxBytes = 1 << 20;
  const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (!ec && bytes > kMaxBytes)
    throw InvalidArgument("config file '" + path + "' is " + std::to_string(bytes) + " bytes, more than " +
                          std::to_string(kMaxBytes) + " (a study or sweep file is a few kilobytes)");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InvalidArgument("config file '" + path + "' could not be read");
  // toml++ builds, walks and frees nested tables recursively, so a file nesting them some 30000
  // deep ([a.a.a...] or a.a.a... = 1, a few hundred kilobytes) overflows an 8 MB stack. Each
  // level costs a '.', '[' or '{', so bounding their count bounds the depth; study and sweep
  // files have a few dozen.
  constexpr std::size_t kMaxNesting = 10000;
  const auto nesting = static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return c == '.' || c == '[' || c == '{'; }));
  if (nesting > kMaxNesting)
    throw InvalidArgument(path + ": has " + std::to_string(nesting) + " '.', '[' and '{' characters, more than " +
                          std::to_string(kMaxNesting) + " (each may nest a key, table or array one level deeper; "
                          "a study or sweep file has a few dozen)");
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": not valid TOML: "
       << e.description();
    throw InvalidArgument(os.str());
  }
}

namespace {
std::string suggest(const std::string& s) { return s.empty() ? std::string() : " (did you mean '" + s + "'?)"; }
}  // namespace

void set_study_field(StudyRunConfig& cfg, const std::string& dotted, const toml::node& value,
                     const std::string& path) {
  const Reader r(path);
  const Schema& sections = schema();
  const auto dot = dotted.find('.');
  const std::string section = dot == std::string::npos ? "" : dotted.substr(0, dot);
  const std::string field = dot == std::string::npos ? dotted : dotted.substr(dot + 1);
  const auto it = sections.find(section);
  const auto* fields = it == sections.end() ? nullptr : &it->second;
  if (!fields || !fields->count(field)) {
    std::vector<std::string> known;
    for (const auto& [sname, names] : sections)
      for (const auto& [fname, _] : names) known.push_back(sname.empty() ? fname : sname + "." + fname);
    throw InvalidArgument(path + ": unknown field '" + dotted + "'" + suggest(nearest_name(dotted, known)));
  }
  fields->at(field)(r, value, dotted, cfg);
}

StudyRunConfig study_config_from_table(const toml::table& root, const std::string& path) {
  const Reader r(path);
  StudyRunConfig cfg;
  if (const auto* preset = root.get("preset")) {
    try {
      cfg.gp = gp_study_preset(r.string(*preset, "preset"));
    } catch (const InvalidArgument& e) {
      const std::string msg = e.what();
      throw InvalidArgument(msg.rfind(path, 0) == 0 ? msg : path + ": " + msg);
    }
  }

  const Schema& sections = schema();
  std::vector<std::string> section_names;
  for (const auto& [name, _] : sections)
    if (!name.empty()) section_names.push_back(name);

  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if (const auto* table = node.as_table()) {
      const auto it = sections.find(k);
      if (it == sections.end() || k.empty())
        throw InvalidArgument(path + ": unknown section [" + k + "]" + suggest(nearest_name(k, section_names)));
      for (const auto& [sub, value] : *table) {
        const std::string field = k + "." + std::string(sub.str());
        const auto setter = it->second.find(std::string(sub.str()));
        if (setter == it->second.end())
          throw InvalidArgument(path + ": unknown field '" + field + "'" +
                                suggest(nearest_name(std::string(sub.str()), keys_of(it->second))));
        setter->second(r, value, field, cfg);
      }
    } else {
      const auto& top = sections.at("");
      const auto setter = top.find(k);
      if (setter == top.end()) {
        // A top-level key may be a field that belongs in a section: suggest the section too.
        for (const auto& [sname, fields] : sections)
          if (!sname.empty() && fields.count(k))
            throw InvalidArgument(path + ": unknown field '" + k + "' (did you mean '" + sname + "." + k +
                                  "' under [" + sname + "]?)");
        throw InvalidArgument(path + ": unknown field '" + k + "'" + suggest(nearest_name(k, keys_of(top))));
      }
      setter->second(r, node, k, cfg);
    }
  }
  if (cfg.study != "gp") throw InvalidArgument(path + ": field 'study' = \"" + cfg.study + "\" (known studies: gp)");
  try {
    validate(cfg.gp);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(path + ": " + e.what());
  }
  return cfg;
}

}  // namespace detail

StudyRunConfig load_study_config(const std::string& path) {
  return detail::study_config_from_table(detail::parse_toml_file(path), path);
}

}  // namespace amf
