// HDF5 demonstrations: round trip, and every fuzzer seed and kept regression input read without
// a crash (a dataset or amf::InvalidArgument). Malformed-file messages are covered in pytest.
#include <gtest/gtest.h>

#include <filesystem>

#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"

namespace {

TEST(Demonstrations, RoundTripIsExact) {
  amf::Dataset d(3, 2, 1);
  d.add({{0.5}, {1, 2, 3, 4, 5, 6}, {0.1, 0.2, 0.3, 0.4}});
  d.add({{-1.0}, {7, 8, 9}, {1e-300, -1e300}});
  const auto path = (std::filesystem::temp_directory_path() / "amf_roundtrip.h5").string();
  amf::write_demonstrations(path, d);
  const amf::Dataset back = amf::read_demonstrations(path);
  ASSERT_EQ(back.size(), 2);
  for (std::int64_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].task, d[i].task);
    EXPECT_EQ(back[i].states, d[i].states);
    EXPECT_EQ(back[i].actions, d[i].actions);
  }
}

TEST(Demonstrations, FuzzSeedsAndRegressionsNeverCrash) {
  int files = 0;
  for (const char* dir : {"seeds", "regressions"})
    for (const auto& entry : std::filesystem::directory_iterator(std::string(AMF_FUZZ_DIR) + "/" + dir)) {
      ++files;
      try {
        const amf::Dataset d = amf::read_demonstrations(entry.path().string());
        EXPECT_GT(d.size(), 0);
      } catch (const amf::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find(entry.path().string()), std::string::npos) << e.what();
      }
    }
  EXPECT_GE(files, 2);
}

}  // namespace
