#include "amf/version.hpp"

namespace amf {

std::string version() { return AMF_VERSION; }

}  // namespace amf
