// Which channels to remove for a pruning level (the fraction of parameters removed): channels are
// ranked globally across layers by a criterion and removed greedily, lowest first, until the level is
// reached (overshooting by at most one channel's parameters). Every group keeps at least 2 channels;
// residual groups (several sources) keep ceil((1-p)C) for p <= 0.5, ceil(pC) above, and at least half
// at p >= 0.85 (METHODS §1).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "prune/channel_groups.hpp"
#include "runtime/network.hpp"

namespace edgetrain::prune {

enum class Criterion { l1, random };
Criterion parse_criterion(const std::string& name);  // "l1" | "random"; Error otherwise

// Score per channel of every group (empty for fixed groups): l1 = mean over the group's sources of
// the filter's mean |w| (sum |W[f]| / fan-in), random = uniform from the seed.
std::vector<std::vector<double>> channel_scores(const Network& model, const ChannelGroups& groups, Criterion criterion,
                                                uint64_t seed);

struct PruningChoice {
  std::vector<std::vector<bool>> keep;  // per group, per channel
  int64_t params_before = 0, params_after = 0;
  double level() const { return 1.0 - static_cast<double>(params_after) / static_cast<double>(params_before); }
};

// The most parameters one channel carries (its filter, BatchNorm entries and consumers' weights): the
// bound on how far choose_channels may overshoot a level.
int64_t largest_channel_cost(const Graph& graph, const ChannelGroups& groups);

PruningChoice choose_channels(const Network& model, const ChannelGroups& groups,
                              const std::vector<std::vector<double>>& scores, double level);

}  // namespace edgetrain::prune
