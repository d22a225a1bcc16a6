#include "amf/launch.hpp"

#include <cstdlib>
#include <string>

#include "amf/error.hpp"

namespace amf {
namespace {

// A launcher variable's value as a count or rank; a malformed one is named.
int parse_int(const char* name, const char* value, int min) {
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || v < min || v > 1 << 24)
    throw InvalidArgument(std::string("environment variable ") + name + " = '" + value +
                          "' is not a valid rank or size");
  return static_cast<int>(v);
}

}  // namespace

LaunchInfo detect_launch(const std::function<const char*(const char*)>& env) {
  // Launcher, size variable, rank variable: the first whose size is set wins (Open MPI under
  // srun sets both its own and Slurm's; they agree).
  struct Known {
    const char* launcher;
    const char* size;
    const char* rank;
  };
  static const Known known[] = {{"openmpi", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},
                                {"pmi", "PMI_SIZE", "PMI_RANK"},
                                {"mvapich", "MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"},
                                {"slurm", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID"}};
  LaunchInfo info;
  for (const Known& k : known) {
    const char* size = env(k.size);
    if (!size) continue;
    const char* rank = env(k.rank);
    info.parallel = true;
    info.launcher = k.launcher;
    info.size = parse_int(k.size, size, 1);
    info.rank = rank ? parse_int(k.rank, rank, 0) : 0;
    if (info.rank >= info.size)
      throw InvalidArgument(std::string("environment: ") + k.rank + " = " + std::to_string(info.rank) +
                            " is not below " + k.size + " = " + std::to_string(info.size));
    return info;
  }
  if (const char* rank = env("PMIX_RANK")) {  // PMIx alone publishes no size variable
    info.parallel = true;
    info.launcher = "pmix";
    info.rank = parse_int("PMIX_RANK", rank, 0);
    info.size = 0;  // unknown until MPI_Comm_size
  }
  return info;
}

LaunchInfo detect_launch() {
  return detect_launch([](const char* name) -> const char* { return std::getenv(name); });
}

}  // namespace amf
