#pragma once
// An exclusive lock on a results directory, so two processes never write the same run: an
// flock(2) on DIR/.lock, which the kernel releases when the holder exits or is killed (a
// SIGKILLed run leaves no stale lock behind). The file records the holder's host and pid for
// the message another process sees.
#include <optional>
#include <string>

namespace amf {
namespace detail {

class DirectoryLock {
 public:
  // The lock, or nullopt when another process holds it (`holder` then says who, if known).
  static std::optional<DirectoryLock> try_acquire(const std::string& dir, std::string* holder = nullptr);
  // The lock, waiting for as long as another process holds it.
  static DirectoryLock acquire(const std::string& dir);
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  DirectoryLock(const DirectoryLock&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace detail
}  // namespace amf
