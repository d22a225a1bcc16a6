#pragma once
// Demonstrations in HDF5 with the robomimic layout:
//
//   /data                          group; attribute `total` (int64): number of steps in all demos
//   /data/demo_<i>                 one group per trajectory, read in increasing <i>;
//                                  attribute `num_samples` (int64) = T (checked when present)
//   /data/demo_<i>/obs/<key>       (T, d_key) or (T,) float32/float64 observation arrays; the
//                                  state is the concatenation of the chosen keys, in the order
//                                  given (default: every key under obs/, sorted by name)
//   /data/demo_<i>/actions         (T, da) float32/float64
//   /data/demo_<i>/task            (dc,) float32/float64 dataset: the task the demo was given for;
//                                  a `task` attribute on the demo group is accepted instead
//
// Every problem (not HDF5, truncated, missing group or field, wrong rank or shape, lengths that
// disagree, NaN or Inf) raises amf::InvalidArgument naming the file and the field; the reader
// never crashes on a malformed file. Writing is atomic (temporary file, fsync, rename).
#include <string>
#include <vector>

#include "amf/dataset.hpp"

namespace amf {

Dataset read_demonstrations(const std::string& path, const std::vector<std::string>& obs_keys = {});

// Writes obs/<obs_key> = states, actions and task for every trajectory.
void write_demonstrations(const std::string& path, const Dataset& data, const std::string& obs_key = "state");

}  // namespace amf
