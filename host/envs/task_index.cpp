#include "amf/harness/environment.hpp"
#include "amf/error.hpp"

namespace amf {

int Environment::task_index(const std::string& name) const {
  const std::vector<std::string> names = task_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  std::string valid;
  for (const std::string& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw InvalidArgument(this->name() + ": unknown task '" + name + "' (valid: " + valid + ")");
}

}  // namespace amf
