// libFuzzer target: any byte string, written to a file, must make read_demonstrations either
// return a dataset or throw amf::InvalidArgument / amf::Error — never crash, hang or leak.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/dev/shm/amf_fuzz_" + std::to_string(getpid()) + ".h5";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const amf::Dataset d = amf::read_demonstrations(path);
    (void)d.total_steps();
  } catch (const amf::Error&) {
  }
  return 0;
}
