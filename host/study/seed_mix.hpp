#pragma once
// Derived seeds: every random stream of a study comes from mixing the base seed with the
// stream's coordinates (k or pre-training, seed, method, round, ...), so results do not depend
// on the number of threads or the order in which runs finish.
#include <cstdint>
#include <string>

namespace amf {
namespace detail {

// splitmix64 finaliser of a combination of a and b.
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9e3779b97f4a7c15ULL + (b << 6) + (b >> 2);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stable seed for a name (FNV-1a), e.g. an arm's label.
inline std::uint64_t seed_of_name(const std::string& name) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace detail
}  // namespace amf
