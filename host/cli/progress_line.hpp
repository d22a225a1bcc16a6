#pragma once
// The one-line progress display of the study commands, redrawn in place on stderr.
#include <cstdio>

#include "amf/harness/study_progress.hpp"

namespace amf {
namespace cli {

// "\r[amf TAG] 3/20 UNIT done (2 from checkpoints), 10 s elapsed, about 50 s left"; a newline after
// the last unit. tools/paper_runs.py reads "N/M UNIT done" and "X s elapsed" back from study logs.
inline void print_progress_line(const char* tag, const char* unit, const StudyProgress& p) {
  std::fprintf(stderr, "\r[amf %s] %d/%d %s done", tag, p.done, p.total, unit);
  if (p.restored > 0) std::fprintf(stderr, " (%d from checkpoints)", p.restored);
  std::fprintf(stderr, ", %.0f s elapsed", p.elapsed_seconds);
  if (p.seconds_left() >= 0) std::fprintf(stderr, ", about %.0f s left", p.seconds_left());
  std::fprintf(stderr, p.done == p.total ? "\n" : "   ");
}

}  // namespace cli
}  // namespace amf
