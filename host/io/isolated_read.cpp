// libhdf5 (1.10, Debian's) can crash on a corrupt file: the fuzzer found a NULL memcpy in
// H5F__accum_read after a failed allocation of a corrupt size. A reader of user files must not
// take the process (a trainer, a Python session) down with it, so the HDF5 parsing runs in a
// forked child that sends the dataset back through a pipe; if the child dies or sends nothing
// complete, the caller gets amf::InvalidArgument naming the file. glibc's fork is safe to use
// here: the child touches only libhdf5 and malloc, and ends with _exit.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"

namespace amf {

Dataset read_demonstrations_in_process(const std::string& path, const std::vector<std::string>& obs_keys);

namespace {

enum : char { kOk = 'D', kInvalid = 'I', kError = 'E' };

void put(std::string& buf, const void* p, std::size_t n) { buf.append(static_cast<const char*>(p), n); }
template <typename T>
void put_value(std::string& buf, T v) { put(buf, &v, sizeof v); }
void put_vector(std::string& buf, const std::vector<double>& v) {
  put_value<std::uint64_t>(buf, v.size());
  put(buf, v.data(), v.size() * sizeof(double));
}

std::string serialise(const Dataset& d) {
  std::string buf(1, kOk);
  put_value<std::int32_t>(buf, d.state_dim());
  put_value<std::int32_t>(buf, d.action_dim());
  put_value<std::int32_t>(buf, d.task_dim());
  put_value<std::uint64_t>(buf, d.size());
  for (const auto& t : d.trajectories()) {
    put_vector(buf, t.task);
    put_vector(buf, t.states);
    put_vector(buf, t.actions);
  }
  return buf;
}

class Cursor {
 public:
  explicit Cursor(const std::string& b) : b_(b) {}
  template <typename T>
  T value() {
    T v;
    take(&v, sizeof v);
    return v;
  }
  std::vector<double> vector() {
    const auto n = value<std::uint64_t>();
    if (n > (b_.size() - pos_) / sizeof(double)) throw Error("truncated");
    std::vector<double> v(n);
    take(v.data(), n * sizeof(double));
    return v;
  }

 private:
  void take(void* out, std::size_t n) {
    if (pos_ + n > b_.size()) throw Error("truncated");
    std::memcpy(out, b_.data() + pos_, n);
    pos_ += n;
  }
  const std::string& b_;
  std::size_t pos_ = 1;
};

Dataset deserialise(const std::string& buf) {
  Cursor c(buf);
  const int ds = c.value<std::int32_t>(), da = c.value<std::int32_t>(), dc = c.value<std::int32_t>();
  Dataset d(ds, da, dc);
  const auto n = c.value<std::uint64_t>();
  for (std::uint64_t i = 0; i < n; ++i) {
    Trajectory t;
    t.task = c.vector();
    t.states = c.vector();
    t.actions = c.vector();
    d.add(std::move(t));
  }
  return d;
}

void write_all(int fd, const std::string& buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

Dataset read_demonstrations(const std::string& path, const std::vector<std::string>& obs_keys) {
  if (const char* v = std::getenv("AMF_HDF5_IN_PROCESS"); v && std::string(v) == "1")
    return read_demonstrations_in_process(path, obs_keys);
  int fds[2];
  if (::pipe(fds) != 0) return read_demonstrations_in_process(path, obs_keys);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return read_demonstrations_in_process(path, obs_keys);
  }
  if (pid == 0) {  // child: parse, send, _exit (no atexit handlers, no destructors of the parent's)
    ::close(fds[0]);
    std::string msg;
    try {
      msg = serialise(read_demonstrations_in_process(path, obs_keys));
    } catch (const InvalidArgument& e) {
      msg = std::string(1, kInvalid) + e.what();
    } catch (const std::exception& e) {
      msg = std::string(1, kError) + e.what();
    }
    write_all(fds[1], msg);
    ::close(fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string buf;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean_exit || buf.empty()) {
    const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                : "exit status " + std::to_string(WEXITSTATUS(status));
    throw InvalidArgument(path + ": the HDF5 library failed hard reading this file (" + how +
                          "); the file is corrupt");
  }
  if (buf[0] == kInvalid) throw InvalidArgument(buf.substr(1));
  if (buf[0] == kError) throw Error(buf.substr(1));
  try {
    return deserialise(buf);
  } catch (const Error&) {
    throw InvalidArgument(path + ": the reader sent back an incomplete dataset; the file is corrupt");
  }
}

}  // namespace amf
