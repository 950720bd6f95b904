#include "adapt/replay_buffer.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace edgetrain::adapt {

ReplayBuffer::ReplayBuffer(int64_t capacity, int64_t classes, int64_t frame_size)
    : capacity_(capacity), frame_size_(frame_size) {
  ET_REQUIRE(capacity > 0 && classes > 0 && frame_size > 0,
             "replay buffer: capacity {}, classes {} and frame size {} must be positive", capacity, classes,
             frame_size);
  by_class_.resize(static_cast<size_t>(classes));
}

int64_t ReplayBuffer::size() const {
  int64_t n = 0;
  for (const auto& c : by_class_) n += static_cast<int64_t>(c.size());
  return n;
}

void ReplayBuffer::add(std::span<const float> input, int32_t label, bool labelled) {
  ET_REQUIRE(static_cast<int64_t>(input.size()) == frame_size_, "replay buffer: a frame of {} values, expected {}",
             input.size(), frame_size_);
  ET_REQUIRE(label >= 0 && label < static_cast<int32_t>(by_class_.size()),
             "replay buffer: label {} is outside the {} classes", label, by_class_.size());
  if (size() >= capacity_) {
    size_t largest = static_cast<size_t>(label);
    for (size_t c = 0; c < by_class_.size(); ++c)
      if (by_class_[c].size() > by_class_[largest].size()) largest = c;
    by_class_[largest].pop_front();
  }
  by_class_[static_cast<size_t>(label)].push_back({{input.begin(), input.end()}, label, labelled, arrivals_++});
}

std::vector<const ReplaySample*> ReplayBuffer::samples() const {
  std::vector<const ReplaySample*> out;
  for (const auto& c : by_class_)
    for (const ReplaySample& s : c) out.push_back(&s);
  return out;
}

void ReplayBuffer::split(int every, std::vector<const ReplaySample*>& train,
                         std::vector<const ReplaySample*>& held_back) const {
  ET_REQUIRE(every >= 2, "replay buffer: holding back every {}-th frame leaves nothing to train on", every);
  train.clear();
  held_back.clear();
  for (const auto& c : by_class_)
    for (size_t k = 0; k < c.size(); ++k)
      (k % static_cast<size_t>(every) == static_cast<size_t>(every) - 1 ? held_back : train).push_back(&c[k]);
}

std::optional<int32_t> confident_label(std::span<const float> posterior, double min_confidence) {
  if (posterior.empty()) return std::nullopt;
  const auto top = std::max_element(posterior.begin(), posterior.end());
  if (static_cast<double>(*top) < min_confidence) return std::nullopt;
  return static_cast<int32_t>(top - posterior.begin());
}

}  // namespace edgetrain::adapt
