#pragma once
// amf's version, set once in CMakeLists.txt (project(... VERSION ...)) and compiled into the
// library; the CLI (`amf info`) and the Python package (amf.__version__) read it from here.
#include <string>

namespace amf {

std::string version();

}  // namespace amf
