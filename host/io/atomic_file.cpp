#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "amf/error.hpp"
#include "amf/harness/io.hpp"

namespace amf {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw Error(what + " '" + path + "': " + std::strerror(errno));
}

}  // namespace

void make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw Error("cannot create directory '" + path + "': " + ec.message());
}

void prepare_output_directory(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  if (path.empty())
    throw InvalidArgument(what + " is empty: give the directory to write the results to");
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw InvalidArgument(what + " '" + path + "' exists and is not a directory");
  fs::create_directories(path, ec);
  if (ec) throw InvalidArgument(what + " '" + path + "' cannot be created: " + ec.message());
  if (::access(path.c_str(), W_OK | X_OK) != 0)
    throw InvalidArgument(what + " '" + path + "' is not writable: " + std::strerror(errno));
}

namespace {

// Writes contents to a fresh temporary file beside `path` (flushed to disk) and returns its name.
std::string write_temporary(const std::string& path, const std::string& contents) {
  // Unique per host, process and call: sweep ranks on a shared file system and threads of one
  // process may write beside each other.
  static std::atomic<unsigned long> counter{0};
  char host[64] = {0};
  ::gethostname(host, sizeof host - 1);
  const std::string tmp = path + ".tmp." + host + "." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("cannot create", tmp);
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("cannot write", tmp);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot flush", tmp);
  }
  return tmp;
}

void sync_directory_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& contents) {
  const std::string tmp = write_temporary(path, contents);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot rename onto", path);
  }
  sync_directory_of(path);
}

void write_files_together(const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  for (const auto& [path, contents] : files) {
    std::error_code ec;
    if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
      throw InvalidArgument(path + " exists and is not a file; nothing was written");
  }
  std::vector<std::string> temporaries;
  try {
    for (const auto& [path, contents] : files) temporaries.push_back(write_temporary(path, contents));
  } catch (...) {
    for (const auto& tmp : temporaries) ::unlink(tmp.c_str());
    throw;
  }
  for (std::size_t i = 0; i < files.size(); ++i)
    if (::rename(temporaries[i].c_str(), files[i].first.c_str()) != 0) {
      for (std::size_t j = i; j < files.size(); ++j) ::unlink(temporaries[j].c_str());
      fail("cannot rename onto", files[i].first);
    }
  for (const auto& [path, contents] : files) sync_directory_of(path);
}

}  // namespace amf
