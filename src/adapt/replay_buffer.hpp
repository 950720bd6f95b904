// A bounded, class-balanced replay buffer of recent frames (LoCO-PDA's retraining data, METHODS §2).
// When full, a new frame replaces the oldest frame of the class holding the most frames (its own
// class where that is the largest): every class keeps an equal share of the capacity as far as the
// stream allows, and within a class the most recent frames stay.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

namespace edgetrain::adapt {

struct ReplaySample {
  std::vector<float> input;  // one frame, [C, H, W] row-major
  int32_t label = 0;
  bool labelled = false;  // a user-given label, not a confident prediction standing in for one
  uint64_t arrival = 0;   // position in the stream
};

class ReplayBuffer {
 public:
  // Throws Error unless capacity, classes and frame size are positive.
  ReplayBuffer(int64_t capacity, int64_t classes, int64_t frame_size);

  // Throws Error for a frame of another size or a label outside the classes.
  void add(std::span<const float> input, int32_t label, bool labelled);

  int64_t size() const;
  int64_t capacity() const { return capacity_; }
  int64_t count(int32_t label) const { return static_cast<int64_t>(by_class_.at(static_cast<size_t>(label)).size()); }
  // Every stored frame, oldest first within each class, classes in id order.
  std::vector<const ReplaySample*> samples() const;
  // A deterministic split for validation: every `every`-th frame of each class (by arrival) is held
  // back; the rest train.
  void split(int every, std::vector<const ReplaySample*>& train, std::vector<const ReplaySample*>& held_back) const;

 private:
  int64_t capacity_, frame_size_;
  uint64_t arrivals_ = 0;
  std::vector<std::deque<ReplaySample>> by_class_;
};

// The label a frame's posterior stands in for when the user gave none: its top-1 class when the
// model gives it at least `min_confidence`, else none (the frame is not buffered for retraining).
std::optional<int32_t> confident_label(std::span<const float> posterior, double min_confidence);

}  // namespace edgetrain::adapt
