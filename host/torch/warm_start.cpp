#include "amf/torch/warm_start.hpp"

#include <string>

#include "amf/error.hpp"

namespace amf {

WarmStart::WarmStart(std::vector<int> partitions, int num_partitions)
    : partitions_(std::move(partitions)), held_(partitions_.size(), true), num_partitions_(num_partitions) {
  if (num_partitions < 1) throw InvalidArgument("WarmStart: num_partitions must be >= 1");
  for (std::size_t i = 0; i < partitions_.size(); ++i)
    if (partitions_[i] < 0 || partitions_[i] >= num_partitions)
      throw InvalidArgument("WarmStart: demonstration " + std::to_string(i) + " has partition " +
                            std::to_string(partitions_[i]) + ", outside [0, " + std::to_string(num_partitions) + ")");
}

std::vector<int> WarmStart::select(int partition) {
  if (partition < 0 || partition >= num_partitions_)
    throw InvalidArgument("WarmStart::select: partition " + std::to_string(partition) + " outside [0, " +
                          std::to_string(num_partitions_) + ")");
  std::vector<int> now;
  for (int i = 0; i < size(); ++i)
    if (held_[i] && partitions_[i] == partition) {
      held_[i] = false;
      now.push_back(i);
      released_.push_back(i);
    }
  return now;
}

bool WarmStart::held(int demo) const {
  if (demo < 0 || demo >= size())
    throw InvalidArgument("WarmStart::held: demonstration " + std::to_string(demo) + " outside [0, " + std::to_string(size()) + ")");
  return held_[demo];
}

std::vector<int> WarmStart::held_ids() const {
  std::vector<int> out;
  for (int i = 0; i < size(); ++i)
    if (held_[i]) out.push_back(i);
  return out;
}

}  // namespace amf
