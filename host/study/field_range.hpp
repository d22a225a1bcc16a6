#pragma once
// The documented valid range of one numeric configuration field, shared by every study
// configuration's validation so that every out-of-range value is reported the same way: the
// field, the value as given, and the range ("run.seeds = 0 (must be an integer in 1..10000)").
// Upper bounds exist so that a typo such as horizon = 1e9 fails at load time instead of running
// until the machine runs out of memory; they sit far above every preset.
#include <cmath>
#include <string>

#include "amf/error.hpp"
#include "study/number_format.hpp"

namespace amf {
namespace detail {

struct FieldRange {
  double lo, hi;
  bool lo_open = false, hi_open = false;  // (lo, ...] instead of [lo, ...]
  bool integer = false;

  static FieldRange integers(double lo, double hi) { return {lo, hi, false, false, true}; }
  static FieldRange closed(double lo, double hi) { return {lo, hi, false, false, false}; }
  static FieldRange open_closed(double lo, double hi) { return {lo, hi, true, false, false}; }
  static FieldRange open(double lo, double hi) { return {lo, hi, true, true, false}; }
  static FieldRange closed_open(double lo, double hi) { return {lo, hi, false, true, false}; }

  // NaN and infinities are outside every range.
  bool contains(double v) const {
    if (!std::isfinite(v)) return false;
    if (integer && v != std::floor(v)) return false;
    return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }

  // "an integer in 1..10000", "a number in (0, 1e+06]".
  std::string describe() const {
    if (integer) return "an integer in " + format_general(lo, 12) + ".." + format_general(hi, 12);
    return std::string("a number in ") + (lo_open ? "(" : "[") + format_general(lo) + ", " + format_general(hi) +
           (hi_open ? ")" : "]");
  }
};

// amf::InvalidArgument "<who>: field '<field>' = <value> (must be <range>)".
inline void check_field(const std::string& who, const std::string& field, double value, const FieldRange& range) {
  if (!range.contains(value))
    throw InvalidArgument(who + ": field '" + field + "' = " + format_general(value, 17) + " (must be " +
                          range.describe() + ")");
}

}  // namespace detail
}  // namespace amf
