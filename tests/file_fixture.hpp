#pragma once
// Files in the tests: a whole file as a string, for comparing outputs byte for byte.
#include <fstream>
#include <sstream>
#include <string>

namespace amf_test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace amf_test
