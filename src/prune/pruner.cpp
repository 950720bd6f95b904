#include "prune/pruner.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "graph/graph_json.hpp"

namespace edgetrain::prune {

namespace {

// Channel mask of a value: its segments' group masks, each bit repeated `repeat` times.
std::vector<bool> value_mask(const ChannelGroups& cg, int value, const std::vector<std::vector<bool>>& keep) {
  std::vector<bool> m;
  for (const Segment& s : cg.value_segments[static_cast<size_t>(value)])
    for (bool k : keep[static_cast<size_t>(s.group)]) m.insert(m.end(), static_cast<size_t>(s.repeat), k);
  return m;
}

int64_t kept_of(const ChannelGroups& cg, int value, const std::vector<int64_t>& kept) {
  int64_t n = 0;
  for (const Segment& s : cg.value_segments[static_cast<size_t>(value)]) n += kept[static_cast<size_t>(s.group)] * s.repeat;
  return n;
}

// Copies the entries of `src` (shape dims) whose index along axis 0 is in `rows` and along axis 1
// in `cols` (empty mask = all); trailing axes are copied whole.
std::vector<float> slice(const float* src, const Shape& shape, const std::vector<bool>& rows,
                         const std::vector<bool>& cols) {
  const int64_t R = shape[0], C = shape.rank() > 1 ? shape[1] : 1, inner = shape.rank() > 2 ? shape.numel_from(2) : 1;
  std::vector<float> out;
  for (int64_t r = 0; r < R; ++r) {
    if (!rows.empty() && !rows[static_cast<size_t>(r)]) continue;
    for (int64_t c = 0; c < C; ++c) {
      if (shape.rank() > 1 && !cols.empty() && !cols[static_cast<size_t>(c)]) continue;
      const float* p = src + (r * C + c) * inner;
      out.insert(out.end(), p, p + inner);
    }
  }
  return out;
}

int64_t count(const std::vector<bool>& m) { return std::count(m.begin(), m.end(), true); }

}  // namespace

int64_t pruned_param_count(const Graph& g, const ChannelGroups& cg, const std::vector<int64_t>& kept) {
  int64_t total = 0;
  for (const Node& n : g.nodes) {
    if (n.output == g.loss) continue;
    const int64_t in = kept_of(cg, n.inputs[0], kept), out = kept_of(cg, n.output, kept);
    std::visit(
        [&]<class A>(const A& a) {
          if constexpr (std::is_same_v<A, Conv2dAttrs>) {
            const int64_t per = static_cast<int64_t>(a.kernel_h) * a.kernel_w;
            // A grouped convolution keeps its group width (in_channels / groups) and loses groups.
            total += out * (a.groups == 1 ? in : a.in_channels / a.groups) * per;
            if (a.bias) total += out;
          } else if constexpr (std::is_same_v<A, LinearAttrs>) {
            total += out * in + (a.bias ? out : 0);
          } else if constexpr (std::is_same_v<A, BatchNormAttrs>) {
            total += 2 * out;
          }
        },
        n.attrs);
  }
  return total;
}

std::vector<float> slice_like_parameter(const Graph& g, const ChannelGroups& cg,
                                        const std::vector<std::vector<bool>>& keep, int param, const float* data) {
  const Slot& slot = g.params[static_cast<size_t>(param)];
  const Node& n = g.nodes[static_cast<size_t>(slot.node)];
  const std::vector<bool> in = value_mask(cg, n.inputs[0], keep), out = value_mask(cg, n.output, keep);
  const auto* conv = std::get_if<Conv2dAttrs>(&n.attrs);
  const bool depthwise = conv && is_depthwise(*conv), grouped = conv && conv->groups > 1 && !depthwise;
  // Weights: rows are output channels, columns input channels (none for depthwise / grouped, whose
  // input channels are their own rows or fixed); biases and BN vectors follow outputs.
  const std::vector<bool> cols = (slot.shape.rank() > 1 && !depthwise && !grouped) ? in : std::vector<bool>{};
  return slice(data, slot.shape, out, cols);
}

OptimizerState prune_optimizer_state(const Graph& graph, const OptimizerState& state, const Network& pruned,
                                     const ChannelGroups& cg, const std::vector<std::vector<bool>>& keep) {
  // The pruned graph has the same nodes in the same order: pair the parameters through them.
  std::vector<std::pair<int, int>> pairs;  // (original id, pruned id)
  for (size_t k = 0; k < graph.nodes.size(); ++k)
    for (size_t i = 0; i < graph.nodes[k].params.size(); ++i)
      pairs.emplace_back(graph.nodes[k].params[i], pruned.graph.nodes[k].params[i]);
  std::vector<bool> trainable(pruned.graph.params.size(), false);
  for (auto [from, to] : pairs) trainable[static_cast<size_t>(to)] = static_cast<bool>(state.slot(from, 0));
  OptimizerState out(pruned.graph, trainable, state.config());
  out.step = state.step;
  for (auto [from, to] : pairs)
    for (int k = 0; k < state.slots_per_param(); ++k) {
      const TensorView src = state.slot(from, k), dst = out.slot(to, k);
      if (!src) continue;
      const std::vector<float> v = slice_like_parameter(graph, cg, keep, from, src.as<float>());
      ET_ASSERT(static_cast<int64_t>(v.size()) == dst.numel());
      std::copy(v.begin(), v.end(), dst.as<float>());
    }
  return out;
}

Network apply_pruning(const Network& model, const ChannelGroups& cg, const std::vector<std::vector<bool>>& keep) {
  const Graph& g = model.graph;
  ET_REQUIRE(keep.size() == cg.groups.size(), "pruning: {} masks for {} channel groups", keep.size(), cg.groups.size());
  for (size_t k = 0; k < keep.size(); ++k) {
    ET_REQUIRE(static_cast<int64_t>(keep[k].size()) == cg.groups[k].channels, "pruning: mask {} has the wrong size", k);
    ET_REQUIRE(count(keep[k]) >= 1, "pruning: group {} would lose every channel", k);
    ET_REQUIRE(!cg.groups[k].fixed || count(keep[k]) == cg.groups[k].channels,
               "pruning: group {} is fixed ({}) and keeps all its channels", k, cg.groups[k].why_fixed);
    const auto block = static_cast<size_t>(cg.groups[k].block);
    for (size_t b = 0; b < keep[k].size(); b += block)
      ET_REQUIRE(std::all_of(keep[k].begin() + b, keep[k].begin() + b + block, [&](bool v) { return v == keep[k][b]; }),
                 "pruning: group {} keeps or removes its channels in blocks of {} (grouped convolutions read it), "
                 "and the mask splits the block at channel {}", k, block, b);
  }
  // New attributes through the graph's JSON form; shapes are re-inferred when it is rebuilt.
  nlohmann::json j = graph_to_json(g);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    if (n.output == g.loss) continue;
    const int64_t in = count(value_mask(cg, n.inputs[0], keep)), out = count(value_mask(cg, n.output, keep));
    nlohmann::json& a = j["nodes"][k]["attrs"];
    std::visit(
        [&]<class A>(const A& at) {
          if constexpr (std::is_same_v<A, Conv2dAttrs>) {
            a["in_channels"] = in;
            a["out_channels"] = out;
            if (at.groups > 1) a["groups"] = out / (at.out_channels / at.groups);
          } else if constexpr (std::is_same_v<A, LinearAttrs>) {
            a["in_features"] = in;
            a["out_features"] = out;
          } else if constexpr (std::is_same_v<A, BatchNormAttrs>) {
            a["channels"] = out;
          } else if constexpr (std::is_same_v<A, ChannelSliceAttrs>) {  // the kept channels before it
            const std::vector<bool> mask = value_mask(cg, n.inputs[0], keep);
            const auto begin = std::count(mask.begin(), mask.begin() + at.begin, true);
            a["begin"] = begin;
            a["end"] = begin + out;
          }
        },
        n.attrs);
  }
  Network pruned;
  pruned.graph = graph_from_json(j);
  pruned.params = ParameterStore(pruned.graph, 0);
  pruned.info = model.info;
  // Slice every parameter and state tensor.
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    const Node& p = pruned.graph.nodes[k];
    if (n.output == g.loss) continue;
    for (size_t i = 0; i < n.params.size(); ++i) {
      const std::vector<float> v = slice_like_parameter(g, cg, keep, n.params[i], model.params.param(n.params[i]).as<float>());
      const TensorView dst = pruned.params.param(p.params[i]);
      ET_ASSERT(static_cast<int64_t>(v.size()) == dst.numel());
      std::copy(v.begin(), v.end(), dst.as<float>());
    }
    const std::vector<bool> out = value_mask(cg, n.output, keep);
    for (size_t i = 0; i < n.states.size(); ++i) {
      const Shape& s = g.states[n.states[i]].shape;
      const std::vector<float> v = slice(model.params.state(n.states[i]).as<float>(), s, out, {});
      const TensorView dst = pruned.params.state(p.states[i]);
      ET_ASSERT(static_cast<int64_t>(v.size()) == dst.numel());
      std::copy(v.begin(), v.end(), dst.as<float>());
    }
  }
  return pruned;
}

}  // namespace edgetrain::prune
