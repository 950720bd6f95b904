// Physical pruning: a new, smaller Model with the kept channels of every group — convolution and
// linear weights sliced on both axes (Flatten blocks of H*W columns included), BatchNorm parameters
// and running statistics and depthwise filters following their channels. Every shape is re-inferred.
#pragma once
#include <vector>

#include "prune/channel_groups.hpp"
#include "runtime/model.hpp"

namespace edgetrain::prune {

// keep[g][c]: channel c of group g stays. Fixed groups must keep every channel, every group one.
Model apply_pruning(const Model& model, const ChannelGroups& groups, const std::vector<std::vector<bool>>& keep);

// Parameters of the model `apply_pruning` would build, from the kept counts alone (no slicing).
int64_t pruned_param_count(const Graph& graph, const ChannelGroups& groups, const std::vector<int64_t>& kept);

}  // namespace edgetrain::prune
