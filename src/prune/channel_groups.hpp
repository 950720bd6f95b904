// Channel dependency analysis on any graph: which output channels must be pruned together, found from
// the ops alone (no per-architecture code).
//   - Conv2d (groups 1) and Linear start a channel group: their filters are its sources.
//   - BatchNorm, activations, pooling, Dropout pass channels through; a depthwise Conv2d follows its
//     input's channels (its filters are pruned with them).
//   - Add unites the groups of its inputs (a residual stream is one group).
//   - Concat lays its inputs' channels side by side: a value's channel axis is a list of segments.
//   - ChannelSlice keeps the segments of its range where it falls on segment boundaries; a slice
//     through a group fixes that group.
//   - ChannelShuffle fixes its input's groups (a permutation across them).
//   - Flatten maps channel c to the columns [c*H*W, (c+1)*H*W) of the features after it.
//   - A grouped convolution with as many output as input channels per group (ResNeXt, RegNet) follows
//     its input's channels like a depthwise one, in whole groups: its input's groups are pruned in
//     blocks of that width (the convolution keeps its group width and loses groups). Other grouped
//     convolutions fix their input, and their output is fixed.
//   - The image input and the logits are fixed.
#pragma once
#include <string>
#include <vector>

#include "graph/graph.hpp"

namespace edgetrain::prune {

struct ChannelGroup {
  int64_t channels = 0;
  bool fixed = false;          // may not be pruned (input, logits, grouped convolutions)
  std::vector<int> sources;    // nodes whose output filters are these channels (Conv2d, Linear)
  std::vector<int> followers;  // nodes whose per-channel parameters follow (BatchNorm, depthwise/grouped Conv2d)
  std::vector<int> consumers;  // nodes that read these channels as input channels / feature columns
  std::string why_fixed;
  // Channels are kept or removed in whole consecutive blocks of this many (the groups of grouped
  // convolutions reading them); channels is a multiple of it.
  int64_t block = 1;
};

// A value's channel axis: segments of groups, each `repeat` columns per channel (H*W after Flatten).
struct Segment {
  int group = -1;
  int64_t repeat = 1;
};

struct ChannelGroups {
  std::vector<ChannelGroup> groups;
  std::vector<std::vector<Segment>> value_segments;  // per value id (empty for labels / loss)
};

ChannelGroups analyse_channels(const Graph& graph);

// One line per group (edgetrain prune --explain).
std::string describe(const Graph& graph, const ChannelGroups& groups);

}  // namespace edgetrain::prune
