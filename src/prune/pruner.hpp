// Physical pruning: a new, smaller Network with the kept channels of every group — convolution and
// linear weights sliced on both axes (Flatten blocks of H*W columns included), BatchNorm parameters
// and running statistics and depthwise filters following their channels. Every shape is re-inferred.
#pragma once
#include <vector>

#include "prune/channel_groups.hpp"
#include "runtime/network.hpp"
#include "runtime/optimizer_state.hpp"

namespace edgetrain::prune {

// keep[g][c]: channel c of group g stays. Fixed groups must keep every channel, every group one.
Network apply_pruning(const Network& model, const ChannelGroups& groups, const std::vector<std::vector<bool>>& keep);

// A tensor shaped like parameter `param` of the unpruned graph, sliced as apply_pruning slices that
// parameter (same node order, so the pruned graph's parameter has the same index).
std::vector<float> slice_like_parameter(const Graph& graph, const ChannelGroups& groups,
                                        const std::vector<std::vector<bool>>& keep, int param, const float* data);

// The optimizer state (momentum, Adam moments, step count) of `graph`'s parameters, sliced for
// `pruned` = apply_pruning(..., keep): training resumes where it was, on the kept channels.
OptimizerState prune_optimizer_state(const Graph& graph, const OptimizerState& state, const Network& pruned,
                                     const ChannelGroups& groups, const std::vector<std::vector<bool>>& keep);

// Parameters of the model `apply_pruning` would build, from the kept counts alone (no slicing).
int64_t pruned_param_count(const Graph& graph, const ChannelGroups& groups, const std::vector<int64_t>& kept);

}  // namespace edgetrain::prune
