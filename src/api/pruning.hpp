// What a ChannelRanking holds: the channel groups of the ranked architecture and a score per channel.
#pragma once
#include <vector>

#include "edgetrain/pruning.hpp"
#include "prune/channel_groups.hpp"
#include "prune/ranking.hpp"
#include "runtime/network.hpp"

namespace edgetrain {

namespace detail {
struct RankingState {
  PruneCriterion criterion = PruneCriterion::l1;
  prune::ChannelGroups groups;
  std::vector<std::vector<double>> scores;  // per group, per channel (empty for fixed groups)
  std::vector<Shape> param_shapes;          // of the ranked model: what it may be applied to
};
}  // namespace detail

namespace api {
// The channels `net` keeps at `level` by `ranking` (Error when net is not of the ranked architecture).
prune::PruningChoice choose_channels(const detail::RankingState& ranking, const Network& net, double level);
}  // namespace api

}  // namespace edgetrain
