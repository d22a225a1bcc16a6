// Sweep files: a study file plus a [sweep] table. The study part goes through the study schema
// unchanged; the [sweep] table lists the axes, and every grid value is tried on the base study
// so a wrong field name or type is reported here, naming the file and the field.
#include <toml++/toml.h>

#include <cmath>
#include <set>

#include "amf/error.hpp"
#include "amf/harness/sweep.hpp"
#include "io/study_config_schema.hpp"

namespace amf {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& field, const std::string& msg) {
  throw InvalidArgument(path + ": field '" + field + "' " + msg);
}

std::vector<int> int_list(const toml::node& n, const std::string& path, const std::string& field) {
  const auto* a = n.as_array();
  if (!a) fail(path, field, "must be an array of integers");
  std::vector<int> out;
  for (const auto& e : *a) {
    const auto v = e.value_exact<int64_t>();
    if (!v || *v < 0 || *v > 1000000000) fail(path, field, "must hold integers >= 0");
    out.push_back(static_cast<int>(*v));
  }
  if (out.empty()) fail(path, field, "is empty");
  if (std::set<int>(out.begin(), out.end()).size() != out.size()) fail(path, field, "repeats a value");
  return out;
}

toml::table with_node(const toml::node& value) {
  toml::table t;
  t.insert("v", value);
  return t;
}

}  // namespace

SweepConfig load_sweep_config(const std::string& path) {
  toml::table root = detail::parse_toml_file(path);
  const toml::node* sweep_node = root.get("sweep");
  if (!sweep_node || !sweep_node->is_table())
    throw InvalidArgument(path + ": a sweep file needs a [sweep] table (seeds, k_values, methods, [sweep.grid])");
  const toml::table sweep_table = *sweep_node->as_table();
  root.erase("sweep");

  SweepConfig s;
  s.source = path;
  s.base = detail::study_config_from_table(root, path);
  s.k_values = s.base.gp.k_values;
  s.methods = s.base.gp.methods;
  for (int i = 0; i < s.base.gp.seeds; ++i) s.seeds.push_back(s.base.gp.first_seed + i);

  for (const auto& [key, node] : sweep_table) {
    const std::string k(key.str()), field = "sweep." + k;
    if (k == "seeds") {
      if (const auto n = node.value_exact<int64_t>()) {
        if (*n < 1 || *n > 1000000) fail(path, field, "= " + std::to_string(*n) + " (must be >= 1)");
        s.seeds.clear();
        for (int i = 0; i < *n; ++i) s.seeds.push_back(i);
      } else {
        s.seeds = int_list(node, path, field);
      }
    } else if (k == "k_values") {
      s.k_values = int_list(node, path, field);
    } else if (k == "methods") {
      const auto* a = node.as_array();
      if (!a || a->empty()) fail(path, field, "must be a non-empty array of method names");
      s.methods.clear();
      for (const auto& e : *a) {
        const auto v = e.value_exact<std::string>();
        if (!v) fail(path, field, "must hold strings");
        s.methods.push_back(*v);
      }
      if (std::set<std::string>(s.methods.begin(), s.methods.end()).size() != s.methods.size())
        fail(path, field, "repeats a method");
    } else if (k == "grid") {
      const auto* g = node.as_table();
      if (!g) fail(path, field, "must be a table of \"section.field\" = [values]");
      for (const auto& [name, values] : *g) {
        const std::string dotted(name.str()), gfield = "sweep.grid.\"" + dotted + "\"";
        const auto* a = values.as_array();
        if (!a || a->empty()) fail(path, gfield, "must be a non-empty array of numbers");
        std::vector<double> list;
        for (const auto& e : *a) {
          if (e.is_integer()) list.push_back(static_cast<double>(*e.value_exact<int64_t>()));
          else if (const auto v = e.value_exact<double>(); v && std::isfinite(*v)) list.push_back(*v);
          else fail(path, gfield, "must hold finite numbers");
          // Each value must be accepted by the field itself (type and range are the study's).
          StudyRunConfig probe = s.base;
          detail::set_study_field(probe, dotted, *with_node(e).get("v"), path);
        }
        // The preset is applied before every field, so as an axis it would change nothing.
        if (dotted == "preset")
          fail(path, gfield, "cannot be a grid axis (the preset is applied first; sweep the fields it sets instead)");
        if (dotted == "run.seeds" || dotted == "run.first_seed" || dotted == "run.k_values" ||
            dotted == "run.methods" || dotted == "run.threads")
          fail(path, gfield, "is a sweep axis or a runtime setting; use sweep.seeds, k_values or methods");
        s.grid.emplace_back(dotted, std::move(list));
      }
    } else {
      throw InvalidArgument(path + ": unknown field '" + field + "' (known: sweep.seeds, sweep.k_values, "
                            "sweep.methods, [sweep.grid])");
    }
  }
  expand_sweep(s);  // validates every run of the grid now, not after hours of work
  return s;
}

}  // namespace amf
