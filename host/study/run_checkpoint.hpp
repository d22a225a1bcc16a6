#pragma once
// Per-run checkpoints of a study: for one (k, seed), the state of every method after its last
// completed round — records, picks, the demonstrations collected, and the random generator.
// Written atomically after every round, so a killed study loses at most the round in flight.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "amf/dataset.hpp"
#include "amf/harness/study.hpp"

namespace amf {
namespace detail {

struct MethodProgress {
  int next_round = 0;   // rounds 0 .. next_round-1 are evaluated (and, but the last, collected)
  std::string rng;      // std::mt19937_64 state as its stream text; empty before round 0
  std::vector<RoundRecord> records;
  std::vector<PickRecord> picks;
  std::vector<Trajectory> demos;  // collected so far, in order
};

using RunProgress = std::map<std::string, MethodProgress>;

// The checkpoint file of the (k, seed) run under a study's checkpoint directory.
std::string run_checkpoint_path(const std::string& dir, int k, int seed);

// Empty progress when the file does not exist. amf::InvalidArgument when it was written under
// another configuration (fingerprint) or cannot be parsed (naming the file).
RunProgress load_run_progress(const std::string& path, const std::string& fingerprint);
void save_run_progress(const std::string& path, const std::string& fingerprint, const RunProgress& progress);

}  // namespace detail
}  // namespace amf
