#include "prune/ranking.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "core/check.hpp"
#include "prune/pruner.hpp"

namespace edgetrain::prune {

Criterion parse_criterion(const std::string& name) {
  if (name == "l1") return Criterion::l1;
  if (name == "random") return Criterion::random;
  fail("unknown pruning criterion '{}' (use l1 or random)", name);
}

std::vector<std::vector<double>> channel_scores(const Network& model, const ChannelGroups& cg, Criterion criterion,
                                                uint64_t seed) {
  std::vector<std::vector<double>> scores(cg.groups.size());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (size_t k = 0; k < cg.groups.size(); ++k) {
    const ChannelGroup& grp = cg.groups[k];
    if (grp.fixed || grp.sources.empty()) continue;
    scores[k].assign(static_cast<size_t>(grp.channels), 0.0);
    for (int64_t c = 0; c < grp.channels; ++c) {
      if (criterion == Criterion::random) {
        scores[k][static_cast<size_t>(c)] = uniform(rng);
        continue;
      }
      double sum = 0;
      for (int src : grp.sources) {
        const Node& n = model.graph.nodes[static_cast<size_t>(src)];
        const TensorView w = model.params.param(n.params[0]);
        const int64_t fan_in = w.numel() / w.shape[0];
        const float* row = w.as<float>() + c * fan_in;
        double a = 0;
        for (int64_t i = 0; i < fan_in; ++i) a += std::abs(static_cast<double>(row[i]));
        sum += a / static_cast<double>(fan_in);
      }
      scores[k][static_cast<size_t>(c)] = sum / static_cast<double>(grp.sources.size());
    }
  }
  return scores;
}

int64_t largest_channel_cost(const Graph& g, const ChannelGroups& cg) {
  std::vector<int64_t> kept;
  for (const ChannelGroup& grp : cg.groups) kept.push_back(grp.channels);
  const int64_t full = pruned_param_count(g, cg, kept);
  int64_t worst = 0;
  for (size_t k = 0; k < cg.groups.size(); ++k) {
    if (cg.groups[k].fixed || cg.groups[k].sources.empty()) continue;
    kept[k] -= cg.groups[k].block;
    worst = std::max(worst, full - pruned_param_count(g, cg, kept));
    kept[k] += cg.groups[k].block;
  }
  return worst;
}

PruningChoice choose_channels(const Network& model, const ChannelGroups& cg,
                              const std::vector<std::vector<double>>& scores, double level) {
  ET_REQUIRE(level >= 0.0 && level < 1.0, "pruning level {} is outside [0, 1)", level);
  const Graph& g = model.graph;
  PruningChoice choice;
  std::vector<int64_t> kept, min_keep;
  for (const ChannelGroup& grp : cg.groups) {
    choice.keep.emplace_back(static_cast<size_t>(grp.channels), true);
    kept.push_back(grp.channels);
    int64_t m = std::min<int64_t>(2, grp.channels);
    if (grp.sources.size() > 1) {  // a residual stream
      const double p = level, C = static_cast<double>(grp.channels);
      int64_t r = static_cast<int64_t>(std::ceil(p <= 0.5 ? (1.0 - p) * C : p * C));
      if (p >= 0.85) r = std::max<int64_t>(r, static_cast<int64_t>(std::ceil(C / 2)));
      m = std::max(m, std::min(r, grp.channels));
    }
    const int64_t block = grp.block;
    min_keep.push_back(std::min(grp.channels, (m + block - 1) / block * block));  // whole blocks
  }
  choice.params_before = pruned_param_count(g, cg, kept);
  const double target = static_cast<double>(choice.params_before) * (1.0 - level);
  // Units of removal: single channels, or a group's blocks (scored by their channels' mean).
  std::vector<std::tuple<double, int, int64_t>> order;  // score, group, first channel
  for (size_t k = 0; k < scores.size(); ++k) {
    const auto block = static_cast<size_t>(cg.groups[k].block);
    for (size_t c = 0; c + block <= scores[k].size(); c += block) {
      double sum = 0;
      for (size_t i = c; i < c + block; ++i) sum += scores[k][i];
      order.emplace_back(sum / static_cast<double>(block), static_cast<int>(k), static_cast<int64_t>(c));
    }
  }
  std::sort(order.begin(), order.end());
  int64_t params = choice.params_before;
  for (const auto& [score, k, c] : order) {
    if (static_cast<double>(params) <= target) break;
    const auto group = static_cast<size_t>(k);
    const int64_t block = cg.groups[group].block;
    if (kept[group] - block < min_keep[group]) continue;
    for (int64_t i = c; i < c + block; ++i) choice.keep[group][static_cast<size_t>(i)] = false;
    kept[group] -= block;
    params = pruned_param_count(g, cg, kept);
  }
  choice.params_after = params;
  return choice;
}

}  // namespace edgetrain::prune
