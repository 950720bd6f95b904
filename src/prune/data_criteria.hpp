// Channel importance measured on the data the device sees (the point of data-aware pruning): each
// channel group is observed where its channels are read (a consumer's input, before any Flatten), over
// the batches given, with the model unchanged.
//   activation  mean |a| per channel
//   apoz        1 - APoZ (the share of positive activations: rarely-active channels rank low)
//   taylor      (mean over batches of sum_{n,h,w} a * dL/da)^2, first-order Taylor importance of a
//               per-channel gate at that point (training-mode forward and backward, no update)
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "prune/channel_groups.hpp"
#include "runtime/network.hpp"

namespace edgetrain::prune {

enum class DataCriterion { activation, apoz, taylor };
bool parse_data_criterion(const std::string& name, DataCriterion& out);  // false: not a data criterion

// Fills one batch ([batch, C, H, W] normalised images, [batch] labels); returns false when done.
using BatchSource = std::function<bool(float* images, int32_t* labels)>;

// Scores in the layout of channel_scores (empty for fixed groups).
std::vector<std::vector<double>> data_channel_scores(const Network& model, const ChannelGroups& groups,
                                                     DataCriterion criterion, int64_t batch,
                                                     const BatchSource& next_batch,
                                                     BackendChoice backend = std::nullopt);

}  // namespace edgetrain::prune
