#pragma once
// Result files are written atomically: write a temporary file beside the target, fsync it,
// rename it over the target, fsync the directory. A crash leaves the old file or the new one,
// never half of one.
#include <string>

namespace amf {

void write_file_atomic(const std::string& path, const std::string& contents);

// Creates the directory and its parents if missing (amf::Error naming the path on failure).
void make_directories(const std::string& path);

// A results directory, checked before any work starts: it must be non-empty, not an existing
// file, and creatable and writable (it is created now, with its parents). Throws
// amf::InvalidArgument naming `what` (the flag or configuration field it came from) and the
// path, so a bad --out exits 2 before a study writes anything anywhere.
void prepare_output_directory(const std::string& path, const std::string& what);

}  // namespace amf
