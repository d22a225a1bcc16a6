#include "io/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "amf/error.hpp"

namespace amf {
namespace detail {

namespace {

int open_lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot open lock file '" + path + "': " + std::strerror(errno));
  return fd;
}

// The holder's note, for another process's messages; informative only (the flock excludes).
void write_holder_note(int fd) {
  char host[128] = {0};
  ::gethostname(host, sizeof host - 1);
  const std::string who = std::string(host) + " pid " + std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    const ssize_t w = ::pwrite(fd, who.data(), who.size(), 0);
    (void)w;
  }
}

}  // namespace

DirectoryLock DirectoryLock::acquire(const std::string& dir) {
  const std::string path = dir + "/.lock";
  const int fd = open_lock_file(path);
  int rc;
  while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    throw Error("cannot lock '" + path + "': " + std::strerror(err));
  }
  write_holder_note(fd);
  return DirectoryLock(fd);
}

std::optional<DirectoryLock> DirectoryLock::try_acquire(const std::string& dir, std::string* holder) {
  const std::string path = dir + "/.lock";
  const int fd = open_lock_file(path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (holder) {
      char buf[256] = {0};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      *holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("another process");
    }
    ::close(fd);
    if (err == EWOULDBLOCK) return std::nullopt;
    throw Error("cannot lock '" + path + "': " + std::strerror(err));
  }
  write_holder_note(fd);
  return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace detail
}  // namespace amf
