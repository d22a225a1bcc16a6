#pragma once
// The warm start of paper appendix I.3.4: the first demonstrations are collected uniformly;
// they are not chosen by the criterion, so they are held back from the training set (to spare
// the pre-trained parameters unwanted updates) until the criterion selects a task of the same
// partition (parameter isolation's). Task selection uses a separate copy of the policy that is
// never trained on them (FineTuner::clone() at the warm start); this class keeps the books.
#include <cstdint>
#include <vector>

namespace amf {

class WarmStart {
 public:
  // partitions[i]: the partition of warm-start demonstration i (ids 0 .. size-1), each in
  // [0, num_partitions). All start held back.
  WarmStart(std::vector<int> partitions, int num_partitions);

  // The criterion selected a task of `partition`: releases that partition's held-back
  // demonstrations and returns their ids (empty if none were left).
  std::vector<int> select(int partition);

  bool held(int demo) const;
  std::vector<int> held_ids() const;
  // Released so far, in order of release: these join the training set (not the selection copy's).
  const std::vector<int>& released_ids() const { return released_; }
  int size() const { return static_cast<int>(partitions_.size()); }

 private:
  std::vector<int> partitions_;
  std::vector<bool> held_;
  std::vector<int> released_;
  int num_partitions_;
};

}  // namespace amf
