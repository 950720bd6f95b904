// Re-targeting a model to another number of classes: the layer that produces the logits (a Linear,
// or a 1x1 Conv as in SqueezeNet, found through Flatten / pooling / Dropout / activations after it)
// gets `num_classes` outputs and fresh parameters; every other parameter and statistic is kept.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/network.hpp"

namespace edgetrain::adapt {

// The node whose outputs are the classes; throws Error when no Linear / Conv2d feeds the logits
// through shape-preserving or pooling ops only.
int classifier_node(const Graph& graph);

Network with_num_classes(const Network& model, int64_t num_classes, uint64_t seed);

// The same network answering only `classes` (original class ids, each once): the classifier keeps
// their rows (weights and biases), in the given order, and drops the others; class names follow.
// `extra_outputs` more outputs follow them, freshly initialised (named "other"). Throws Error for an
// empty list, a repeated id or one outside the model's classes.
Network restrict_classes(const Network& model, const std::vector<int>& classes, int extra_outputs = 0);

}  // namespace edgetrain::adapt
