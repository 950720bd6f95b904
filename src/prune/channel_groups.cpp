#include "prune/channel_groups.hpp"

#include <fmt/format.h>

#include <numeric>

#include "core/check.hpp"

namespace edgetrain::prune {

namespace {

class Analysis {
 public:
  explicit Analysis(const Graph& g) : g_(g) { segments_.resize(g.values.size()); }

  ChannelGroups run() {
    segments_[g_.input] = {{fresh(g_.values[g_.input].shape[1], "the image input"), 1}};
    for (size_t k = 0; k < g_.nodes.size(); ++k) visit(static_cast<int>(k));
    for (const Segment& s : segments_[g_.logits]) fix(s.group, "the logits");
    // Resolve the union-find into final groups.
    ChannelGroups out;
    std::vector<int> index(parent_.size(), -1);
    for (size_t k = 0; k < parent_.size(); ++k) {
      const int root = find(static_cast<int>(k));
      if (index[root] < 0) {
        index[root] = static_cast<int>(out.groups.size());
        out.groups.push_back(data_[root]);
      }
    }
    out.value_segments = segments_;
    for (auto& segs : out.value_segments)
      for (Segment& s : segs) s.group = index[find(s.group)];
    return out;
  }

 private:
  int fresh(int64_t channels, const char* fixed_why = nullptr) {
    parent_.push_back(static_cast<int>(parent_.size()));
    ChannelGroup c;
    c.channels = channels;
    if (fixed_why) c.fixed = true, c.why_fixed = fixed_why;
    data_.push_back(c);
    return parent_.back();
  }
  int find(int a) {
    while (parent_[a] != a) a = parent_[a] = parent_[parent_[a]];
    return a;
  }
  void unite(int a, int b) {
    a = find(a), b = find(b);
    if (a == b) return;
    ET_ASSERT(data_[a].channels == data_[b].channels);
    ChannelGroup& A = data_[a];
    const ChannelGroup& B = data_[b];
    A.fixed = A.fixed || B.fixed;
    if (A.why_fixed.empty()) A.why_fixed = B.why_fixed;
    A.block = std::lcm(A.block, B.block);
    if (A.channels % A.block != 0 && !A.fixed)
      A.fixed = true, A.why_fixed = fmt::format("read by grouped convolutions whose group widths do not tile {} channels", A.channels);
    A.sources.insert(A.sources.end(), B.sources.begin(), B.sources.end());
    A.followers.insert(A.followers.end(), B.followers.begin(), B.followers.end());
    A.consumers.insert(A.consumers.end(), B.consumers.begin(), B.consumers.end());
    parent_[b] = a;
  }
  void fix(int group, const std::string& why) {
    ChannelGroup& c = data_[find(group)];
    if (!c.fixed) c.fixed = true, c.why_fixed = why;
  }
  void consumed_by(int value, int node) {
    for (const Segment& s : segments_[value]) data_[find(s.group)].consumers.push_back(node);
  }

  void visit(int id) {
    const Node& n = g_.nodes[id];
    const int out = n.output;
    if (out == g_.loss) return;
    const auto& in0 = segments_[n.inputs[0]];
    std::visit(
        [&]<class A>(const A& a) {
          if constexpr (std::is_same_v<A, Conv2dAttrs>) {
            if (is_depthwise(a)) {
              segments_[out] = in0;
              for (const Segment& s : in0) data_[find(s.group)].followers.push_back(id);
            } else if (a.groups > 1) {
              grouped_conv(id, a);
            } else {
              consumed_by(n.inputs[0], id);
              const int grp = fresh(a.out_channels);
              data_[grp].sources.push_back(id);
              segments_[out] = {{grp, 1}};
            }
          } else if constexpr (std::is_same_v<A, LinearAttrs>) {
            consumed_by(n.inputs[0], id);
            const int grp = fresh(a.out_features);
            data_[grp].sources.push_back(id);
            segments_[out] = {{grp, 1}};
          } else if constexpr (std::is_same_v<A, BatchNormAttrs>) {
            segments_[out] = in0;
            for (const Segment& s : in0) data_[find(s.group)].followers.push_back(id);
          } else if constexpr (std::is_same_v<A, AddAttrs> || std::is_same_v<A, MulAttrs>) {
            // A sum, or a product (squeeze-and-excitation: the gate's channels follow the stream it
            // scales): both inputs' channels are the same channels.
            segments_[out] = in0;
            for (size_t k = 1; k < n.inputs.size(); ++k) {
              const auto& other = segments_[n.inputs[k]];
              bool same = other.size() == in0.size();
              for (size_t s = 0; same && s < in0.size(); ++s)
                same = in0[s].repeat == other[s].repeat &&
                       data_[find(in0[s].group)].channels == data_[find(other[s].group)].channels;
              if (same) {
                for (size_t s = 0; s < in0.size(); ++s) unite(in0[s].group, other[s].group);
              } else {  // differently composed sums or products: keep them whole
                const std::string why = std::string(op_name(n.attrs)) + " of differently concatenated inputs";
                for (const Segment& s : in0) fix(s.group, why);
                for (const Segment& s : other) fix(s.group, why);
              }
            }
          } else if constexpr (std::is_same_v<A, ConcatAttrs>) {
            segments_[out].clear();
            for (int v : n.inputs) segments_[out].insert(segments_[out].end(), segments_[v].begin(), segments_[v].end());
          } else if constexpr (std::is_same_v<A, ChannelSliceAttrs>) {
            slice(id, a);
          } else if constexpr (std::is_same_v<A, ChannelShuffleAttrs>) {
            // A permutation across the groups of its input: pruning would have to keep the same
            // channels in every shuffled group, which the segment lists cannot express.
            const std::string why = "permuted by channel shuffle '" + n.name + "'";
            for (const Segment& s : in0) fix(s.group, why);
            segments_[out] = {{fresh(g_.values[out].shape[1], "output of a channel shuffle"), 1}};
          } else if constexpr (std::is_same_v<A, FlattenAttrs>) {
            const Shape& s = g_.values[n.inputs[0]].shape;
            const int64_t hw = s.rank() > 2 ? s.numel_from(2) : 1;
            segments_[out] = in0;
            for (Segment& seg : segments_[out]) seg.repeat *= hw;
          } else if constexpr (std::is_same_v<A, SoftmaxCrossEntropyAttrs>) {
          } else {  // ReLU, ReLU6, Pointwise, pooling, Dropout: channels pass through
            segments_[out] = in0;
          }
        },
        n.attrs);
  }

  // Same width per group in and out: the output follows the input's channels in blocks of that width.
  // Otherwise the input is fixed and the output is a fixed group of its own.
  void grouped_conv(int id, const Conv2dAttrs& a) {
    const Node& n = g_.nodes[static_cast<size_t>(id)];
    const int64_t width = a.in_channels / a.groups;
    const auto& in = segments_[n.inputs[0]];
    bool follows = width == a.out_channels / a.groups;
    for (const Segment& s : in) follows = follows && s.repeat == 1 && data_[find(s.group)].channels % width == 0;
    if (follows) {
      segments_[n.output] = in;
      for (const Segment& s : in) {
        ChannelGroup& c = data_[find(s.group)];
        c.followers.push_back(id);
        c.block = std::lcm(c.block, width);
        if (c.channels % c.block != 0) fix(s.group, "read by grouped convolutions whose group widths do not tile it");
      }
      return;
    }
    const std::string why = fmt::format("input of grouped convolution '{}' ({} -> {} channels per group)", n.name,
                                        width, a.out_channels / a.groups);
    for (const Segment& s : in) fix(s.group, why);
    consumed_by(n.inputs[0], id);
    segments_[n.output] = {{fresh(a.out_channels, "output of a grouped convolution"), 1}};
  }

  // Channels [begin, end) of the input: its segments where the range falls on segment boundaries;
  // otherwise the groups it cuts through are fixed and the output is a fixed group of its own.
  void slice(int id, const ChannelSliceAttrs& a) {
    const Node& n = g_.nodes[static_cast<size_t>(id)];
    std::vector<Segment> kept;
    bool aligned = true;
    int64_t at = 0;
    for (const Segment& s : segments_[n.inputs[0]]) {
      const int64_t width = data_[find(s.group)].channels * s.repeat, next = at + width;
      if (at >= a.begin && next <= a.end) kept.push_back(s);
      else if (next > a.begin && at < a.end) aligned = false;
      at = next;
    }
    if (aligned) {
      segments_[n.output] = kept;
      return;
    }
    const std::string why = "cut by channel slice '" + n.name + "'";
    for (const Segment& s : segments_[n.inputs[0]]) fix(s.group, why);
    segments_[n.output] = {{fresh(a.end - a.begin, "output of a channel slice across a group"), 1}};
  }

  const Graph& g_;
  std::vector<std::vector<Segment>> segments_;
  std::vector<int> parent_;
  std::vector<ChannelGroup> data_;
};

}  // namespace

ChannelGroups analyse_channels(const Graph& graph) { return Analysis(graph).run(); }

std::string describe(const Graph& g, const ChannelGroups& cg) {
  std::string out;
  auto names = [&](const std::vector<int>& nodes) {
    std::vector<std::string> v;
    for (int n : nodes) v.push_back(g.nodes[static_cast<size_t>(n)].name);
    return fmt::format("{}", fmt::join(v, ", "));
  };
  for (size_t k = 0; k < cg.groups.size(); ++k) {
    const ChannelGroup& c = cg.groups[k];
    if (c.sources.empty() && c.fixed) {
      out += fmt::format("group {:>3}: {:>5} channels, fixed ({})\n", k, c.channels, c.why_fixed);
      continue;
    }
    out += fmt::format("group {:>3}: {:>5} channels{}, {}{} source(s) [{}]", k, c.channels,
                       c.block > 1 ? fmt::format(" in blocks of {}", c.block) : "",
                       c.fixed ? "fixed (" + c.why_fixed + "), " : "", c.sources.size(), names(c.sources));
    if (!c.followers.empty()) out += fmt::format("; follow [{}]", names(c.followers));
    if (!c.consumers.empty()) out += fmt::format("; read by [{}]", names(c.consumers));
    out += "\n";
  }
  return out;
}

}  // namespace edgetrain::prune
