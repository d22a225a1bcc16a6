// libFuzzer target: any byte string, written to a file, must make load_study_config and
// load_sweep_config either return a configuration or throw amf::Error (InvalidArgument naming
// the file). Anything else — a crash, a hang, std::bad_alloc, an escaping toml++ or standard
// library exception — reaches libFuzzer, which reports it with the input. Built and run by
// run_fuzz_config.sh.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "amf/error.hpp"
#include "amf/harness/config.hpp"
#include "amf/harness/sweep.hpp"

namespace {

// The loaders take a path. One file per process, rewritten for every input, keeps parallel
// fuzzing jobs apart; /dev/shm spares the disk.
const std::string& input_path() {
  static const std::string path = "/dev/shm/amf_fuzz_config_" + std::to_string(getpid()) + ".toml";
  return path;
}
void remove_input() { std::remove(input_path().c_str()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_path();
  // Registered after the path exists, so it runs (at the end of -max_total_time) before the
  // path's destructor.
  static const int cleanup = std::atexit(remove_input);
  (void)cleanup;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  // Both loaders on every input: a sweep file is a study file plus [sweep], so one corpus
  // serves both, and most study inputs also test the sweep loader's "no [sweep]" path.
  try {
    const amf::StudyRunConfig c = amf::load_study_config(path);
    // The loader validates; validating its result again checks that nothing it sets afterwards
    // escapes the check.
    amf::validate(c.gp);
  } catch (const amf::Error&) {
  }
  try {
    // The loader expands the grid and validates every run already. Expanding again here would
    // double the time of the largest sweeps (kMaxSweepRuns in sweep_runs.cpp), which must stay
    // well inside -timeout under ASan.
    amf::load_sweep_config(path);
  } catch (const amf::Error&) {
  }
  return 0;
}
