// robomimic-layout HDF5 demonstrations through the HDF5 C API. Every handle is owned by an RAII
// wrapper; HDF5's own error printing is switched off and every failure becomes an
// amf::InvalidArgument that names the file and the object.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "amf/harness/demonstrations.hpp"
#include "amf/error.hpp"
#include "amf/harness/io.hpp"
#include "core/system_memory.hpp"

namespace amf {
namespace {

class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

struct Quiet {  // silences HDF5's error stack printing for the lifetime of a read or write
  H5E_auto2_t func = nullptr;
  void* data = nullptr;
  Quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Quiet() { H5Eset_auto2(H5E_DEFAULT, func, data); }
};

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& object, const std::string& msg) const {
    throw InvalidArgument(path_ + ": " + object + " " + msg);
  }

  bool exists(hid_t loc, const std::string& name) const {
    return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0;
  }

  Handle open_group(hid_t loc, const std::string& name, const std::string& full) const {
    if (!exists(loc, name)) fail(full, "is missing (expected a group)");
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_GROUP)
      fail(full, "is not a group");
    Handle g(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) fail(full, "cannot be opened (file truncated or corrupt?)");
    return g;
  }

  // A header may declare any shape (a 13 KB file once declared 2^28 x 2 values): before
  // allocating, the declared bytes are compared with the bytes the file stores for the dataset
  // (all of them without compression; at most 1024x as many with it) and with the memory here.
  void check_declared_size(hid_t ds, hid_t type, hsize_t rows, hsize_t cols, const std::string& full) const {
    const double declared = static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(H5Tget_size(type));
    if (declared == 0) return;
    const double stored = static_cast<double>(H5Dget_storage_size(ds));
    Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
    const bool compressed = dcpl.ok() && H5Pget_nfilters(dcpl.get()) > 0;
    const std::string shape = std::to_string(rows) + " x " + std::to_string(cols) + " values (" + mib(declared) + ")";
    if (!compressed && stored < declared)
      fail(full, "declares " + shape + " but the file stores " + mib(stored) + " of them (truncated or corrupt?)");
    if (compressed && declared > 1024.0 * std::max(stored, 1024.0 * 1024.0))
      fail(full, "declares " + shape + " compressed into " + mib(stored) +
                     ": more than 1024 to 1, not a plausible dataset (corrupt header?)");
    const double as_double = static_cast<double>(rows) * static_cast<double>(cols) * sizeof(double);
    const double memory = detail::physical_memory_bytes();
    if (memory > 0 && as_double > memory / 2)
      fail(full, "declares " + shape + ", " + mib(as_double) + " as float64: more than half of this machine's " +
                     mib(memory) + " of memory");
  }

  static std::string mib(double bytes) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
    return buf;
  }

  // A float dataset of rank 1 or 2, returned as rows x cols (rank 1: n x 1), read as float64.
  std::vector<double> read_matrix(hid_t loc, const std::string& name, const std::string& full,
                                  hsize_t* rows, hsize_t* cols) const {
    if (!exists(loc, name)) fail(full, "is missing");
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET)
      fail(full, "is not a dataset");
    Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) fail(full, "cannot be opened (file truncated or corrupt?)");
    Handle type(H5Dget_type(ds.get()), H5Tclose);
    if (!type.ok() || (H5Tget_class(type.get()) != H5T_FLOAT && H5Tget_class(type.get()) != H5T_INTEGER))
      fail(full, "must hold numbers (float32 or float64)");
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    if (!space.ok()) fail(full, "has an unreadable dataspace (file truncated or corrupt?)");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1 || rank > 2) fail(full, "has rank " + std::to_string(rank) + " (expected 1 or 2)");
    hsize_t dims[2] = {0, 1};
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    *rows = dims[0];
    *cols = rank == 2 ? dims[1] : 1;
    // Guard against absurd sizes from a corrupt header before allocating.
    if (*rows > (hsize_t(1) << 32) || *cols > (hsize_t(1) << 20) || (*rows) * (*cols) > (hsize_t(1) << 31))
      fail(full, "has an implausible shape");
    check_declared_size(ds.get(), type.get(), *rows, *cols, full);
    std::vector<double> v((*rows) * (*cols));
    if (!v.empty() && H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
      fail(full, "cannot be read (file truncated or corrupt?)");
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) {
        std::ostringstream os;
        os << "[" << i / *cols << "][" << i % *cols << "] is " << v[i] << " (must be finite)";
        fail(full, os.str());
      }
    return v;
  }

  std::vector<double> read_task_attribute(hid_t group, const std::string& full) const {
    Handle attr(H5Aopen(group, "task", H5P_DEFAULT), H5Aclose);
    if (!attr.ok()) fail(full + "/task", "is missing (expected a dataset or an attribute of the demo group)");
    Handle space(H5Aget_space(attr.get()), H5Sclose);
    const hssize_t n = space.ok() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (n < 1 || n > 4096) fail(full + "@task", "has an invalid size");
    std::vector<double> v(static_cast<std::size_t>(n));
    if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, v.data()) < 0) fail(full + "@task", "cannot be read as numbers");
    for (double x : v)
      if (!std::isfinite(x)) fail(full + "@task", "contains NaN or Inf");
    return v;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

herr_t collect_names(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

std::vector<std::string> children(const Reader& r, hid_t group, const std::string& full) {
  std::vector<std::string> names;
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_names, &names) < 0)
    r.fail(full, "cannot be listed (file truncated or corrupt?)");
  return names;
}

}  // namespace

Dataset read_demonstrations_in_process(const std::string& path, const std::vector<std::string>& obs_keys) {
  const Quiet quiet;
  const Reader r(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InvalidArgument(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw InvalidArgument(path + ": is a directory, not an HDF5 file of demonstrations");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InvalidArgument(path + ": is not a regular file (a device or a pipe?), not an HDF5 file of demonstrations");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw InvalidArgument(path + ": not an HDF5 file (or truncated before its superblock)");
  // Strong close: closing the file closes every object still open in it, so a corrupt file
  // that fails half-way leaves nothing open behind.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.ok()) throw InvalidArgument(path + ": cannot be opened as HDF5 (truncated or corrupt?)");
  Handle data = r.open_group(file.get(), "data", "/data");

  // demo_<i> groups, in increasing i.
  std::map<long long, std::string> demos;
  for (const auto& name : children(r, data.get(), "/data")) {
    if (name.rfind("demo_", 0) != 0) continue;
    char* end = nullptr;
    const long long i = std::strtoll(name.c_str() + 5, &end, 10);
    if (end == name.c_str() + 5 || *end != '\0' || i < 0) r.fail("/data/" + name, "is not named demo_<non-negative integer>");
    demos[i] = name;
  }
  if (demos.empty()) r.fail("/data", "holds no demo_<i> groups");

  int state_dim = -1, action_dim = -1, task_dim = -1;
  std::vector<Trajectory> trajectories;
  for (const auto& [index, name] : demos) {
    const std::string full = "/data/" + name;
    Handle demo = r.open_group(data.get(), name, full);
    Handle obs = r.open_group(demo.get(), "obs", full + "/obs");
    std::vector<std::string> keys = obs_keys;
    if (keys.empty()) {
      keys = children(r, obs.get(), full + "/obs");
      std::sort(keys.begin(), keys.end());
      if (keys.empty()) r.fail(full + "/obs", "holds no observation arrays");
    }

    hsize_t arows = 0, acols = 0;
    Trajectory t;
    t.actions = r.read_matrix(demo.get(), "actions", full + "/actions", &arows, &acols);
    if (arows == 0) r.fail(full + "/actions", "has 0 steps (horizon must be >= 1)");

    std::vector<std::vector<double>> parts;
    std::vector<hsize_t> widths;
    for (const auto& key : keys) {
      hsize_t rows = 0, cols = 0;
      parts.push_back(r.read_matrix(obs.get(), key, full + "/obs/" + key, &rows, &cols));
      if (rows != arows)
        r.fail(full + "/obs/" + key, "has " + std::to_string(rows) + " steps but " + full + "/actions has " +
                                         std::to_string(arows));
      widths.push_back(cols);
    }
    hsize_t ds = 0;
    for (auto w : widths) ds += w;
    t.states.resize(arows * ds);
    for (hsize_t s = 0, off = 0; s < parts.size(); off += widths[s], ++s)
      for (hsize_t row = 0; row < arows; ++row)
        std::copy_n(parts[s].data() + row * widths[s], widths[s], t.states.data() + row * ds + off);

    if (r.exists(demo.get(), "task")) {
      hsize_t rows = 0, cols = 0;
      t.task = r.read_matrix(demo.get(), "task", full + "/task", &rows, &cols);
    } else {
      t.task = r.read_task_attribute(demo.get(), full);
    }
    if (H5Aexists(demo.get(), "num_samples") > 0) {
      Handle attr(H5Aopen(demo.get(), "num_samples", H5P_DEFAULT), H5Aclose);
      long long n = -1;
      if (!attr.ok() || H5Aread(attr.get(), H5T_NATIVE_LLONG, &n) < 0) r.fail(full + "@num_samples", "cannot be read");
      if (n != static_cast<long long>(arows))
        r.fail(full + "@num_samples", "= " + std::to_string(n) + " but the demo has " + std::to_string(arows) + " steps");
    }

    const int d_s = static_cast<int>(ds), d_a = static_cast<int>(acols), d_c = static_cast<int>(t.task.size());
    if (state_dim < 0) {
      state_dim = d_s;
      action_dim = d_a;
      task_dim = d_c;
    }
    if (d_s != state_dim) r.fail(full + "/obs", "gives states of size " + std::to_string(d_s) + ", earlier demos " + std::to_string(state_dim));
    if (d_a != action_dim) r.fail(full + "/actions", "has " + std::to_string(d_a) + " columns, earlier demos " + std::to_string(action_dim));
    if (d_c != task_dim) r.fail(full + "/task", "has size " + std::to_string(d_c) + ", earlier demos " + std::to_string(task_dim));
    trajectories.push_back(std::move(t));
  }
  Dataset out(state_dim, action_dim, task_dim);
  for (auto& t : trajectories) out.add(std::move(t));
  return out;
}

namespace {

void write_matrix(hid_t loc, const char* name, const double* v, hsize_t rows, hsize_t cols, int rank,
                  const std::string& path) {
  const hsize_t dims[2] = {rows, cols};
  Handle space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  Handle ds(H5Dcreate2(loc, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!ds.ok() || H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
    throw Error(path + ": cannot write dataset " + name);
}

void write_int_attribute(hid_t loc, const char* name, long long value, const std::string& path) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(loc, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.ok() || H5Awrite(attr.get(), H5T_NATIVE_LLONG, &value) < 0)
    throw Error(path + ": cannot write attribute " + name);
}

}  // namespace

void write_demonstrations(const std::string& path, const Dataset& d, const std::string& obs_key) {
  const Quiet quiet;
  const std::string tmp = path + ".tmp";
  {
    Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) throw Error(path + ": cannot create HDF5 file '" + tmp + "'");
    Handle data(H5Gcreate2(file.get(), "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    write_int_attribute(data.get(), "total", d.total_steps(), path);
    for (std::int64_t i = 0; i < d.size(); ++i) {
      const Trajectory& t = d[i];
      const hsize_t steps = t.states.size() / d.state_dim();
      const std::string name = "demo_" + std::to_string(i);
      Handle demo(H5Gcreate2(data.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      Handle obs(H5Gcreate2(demo.get(), "obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      if (!demo.ok() || !obs.ok()) throw Error(path + ": cannot create group /data/" + name);
      write_int_attribute(demo.get(), "num_samples", static_cast<long long>(steps), path);
      write_matrix(obs.get(), obs_key.c_str(), t.states.data(), steps, d.state_dim(), 2, path);
      write_matrix(demo.get(), "actions", t.actions.data(), steps, d.action_dim(), 2, path);
      write_matrix(demo.get(), "task", t.task.data(), t.task.size(), 1, 1, path);
    }
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw Error(path + ": cannot flush");
  }
  // fsync + rename, as write_file_atomic does for text files.
  FILE* f = std::fopen(tmp.c_str(), "rb+");
  if (f) {
    std::fflush(f);
    fsync(fileno(f));
    std::fclose(f);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path + ": cannot rename " + tmp + " into place: " + ec.message());
}

}  // namespace amf
