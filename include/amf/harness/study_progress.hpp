#pragma once
// Where a long study stands, reported after each finished unit of work (a GP study's (k, seed)
// run, an NN study's arm). Units read back whole from checkpoints finish at once, so they count
// as done but not towards the rate the time left is estimated from.
#include <functional>

namespace amf {

struct StudyProgress {
  int done = 0;      // finished units, restored ones included
  int total = 0;
  int restored = 0;  // of `done`, read back whole from checkpoints
  double elapsed_seconds = 0;

  // At the rate of the units this process computed; negative until it has computed one.
  double seconds_left() const {
    const int computed = done - restored;
    return computed > 0 ? elapsed_seconds / computed * (total - done) : -1;
  }
};

using StudyProgressCallback = std::function<void(const StudyProgress&)>;

}  // namespace amf
