#pragma once
// Result files are written atomically: write a temporary file beside the target, fsync it,
// rename it over the target, fsync the directory. A crash leaves the old file or the new one,
// never half of one.
#include <string>
#include <utility>
#include <vector>

namespace amf {

void write_file_atomic(const std::string& path, const std::string& contents);

// Files that belong together ({path, contents} pairs): every destination is checked first (one
// that exists and is not a regular file throws amf::InvalidArgument and nothing is written), all
// are written to temporary files and flushed, then renamed into place one after the other. A
// bad destination or a failed write leaves the old files untouched; only a failure between the
// renames (a crash, or a rename refused after the checks) could leave a mix.
void write_files_together(const std::vector<std::pair<std::string, std::string>>& files);

// Creates the directory and its parents if missing (amf::Error naming the path on failure).
void make_directories(const std::string& path);

// A results directory, checked before any work starts: it must be non-empty, not an existing
// file, and creatable and writable (it is created now, with its parents). Throws
// amf::InvalidArgument naming `what` (the flag or configuration field it came from) and the
// path, so a bad --out exits 2 before a study writes anything anywhere.
void prepare_output_directory(const std::string& path, const std::string& what);

}  // namespace amf
