#pragma once
// Numbers in the studies' CSV files and tables: printf formats, so files are stable across
// platforms and runs (iostream formatting depends on the stream's state).
#include <cstdio>
#include <string>

namespace amf {
namespace detail {

inline std::string format_general(double v, int precision = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

inline std::string format_fixed(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace detail
}  // namespace amf
