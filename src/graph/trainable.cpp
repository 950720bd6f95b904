#include "graph/trainable.hpp"

#include <charconv>

#include "core/check.hpp"

namespace edgetrain {

bool glob_match(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi, ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++, mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1, ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

TrainableSpec parse_trainable(std::string_view text) {
  TrainableSpec s;
  auto bad = [&] {
    fail("trainable spec '{}' not understood: use all, classifier, last:K, bias, or names:GLOB[,GLOB...]", text);
  };
  if (text == "all") return s;
  if (text == "classifier") { s.mode = TrainableSpec::Mode::classifier; return s; }
  if (text == "bias") { s.mode = TrainableSpec::Mode::bias_only; return s; }
  if (text.starts_with("last:")) {
    s.mode = TrainableSpec::Mode::last_k;
    auto num = text.substr(5);
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), s.k);
    if (ec != std::errc() || p != num.data() + num.size() || s.k < 1) bad();
    return s;
  }
  if (text.starts_with("names:")) {
    s.mode = TrainableSpec::Mode::names;
    std::string_view rest = text.substr(6);
    while (!rest.empty()) {
      size_t c = rest.find(',');
      auto item = rest.substr(0, c);
      if (!item.empty()) s.patterns.emplace_back(item);
      if (c == std::string_view::npos) break;
      rest = rest.substr(c + 1);
    }
    if (s.patterns.empty()) bad();
    return s;
  }
  bad();
  return s;
}

std::string to_string(const TrainableSpec& s) {
  switch (s.mode) {
    case TrainableSpec::Mode::all: return "all";
    case TrainableSpec::Mode::classifier: return "classifier";
    case TrainableSpec::Mode::bias_only: return "bias";
    case TrainableSpec::Mode::last_k: return fmt::format("last:{}", s.k);
    case TrainableSpec::Mode::names: return fmt::format("names:{}", fmt::join(s.patterns, ","));
  }
  return "?";
}

namespace {

// Layer index per node: Conv2d/Linear nodes are numbered in order; a node with parameters that is
// neither (BatchNorm) joins the layer of the nearest Conv2d/Linear upstream of it.
std::vector<int> layer_of_nodes(const Graph& g, int& layer_count) {
  std::vector<int> layer(g.nodes.size(), -1);
  layer_count = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (is<Conv2dAttrs>(n.attrs) || is<LinearAttrs>(n.attrs)) {
      layer[i] = layer_count++;
    } else if (!n.params.empty()) {
      int v = n.inputs.empty() ? -1 : n.inputs[0];
      while (v >= 0 && g.values[v].producer >= 0 && layer[g.values[v].producer] < 0)
        v = g.nodes[g.values[v].producer].inputs.empty() ? -1 : g.nodes[g.values[v].producer].inputs[0];
      layer[i] = (v >= 0 && g.values[v].producer >= 0) ? layer[g.values[v].producer] : 0;
    }
  }
  return layer;
}

}  // namespace

std::vector<bool> resolve_trainable(const Graph& g, const TrainableSpec& spec) {
  std::vector<bool> on(g.params.size(), false);
  int layers = 0;
  std::vector<int> layer = layer_of_nodes(g, layers);
  for (size_t p = 0; p < g.params.size(); ++p) {
    const Slot& s = g.params[p];
    const Node& n = g.nodes[s.node];
    switch (spec.mode) {
      case TrainableSpec::Mode::all: on[p] = true; break;
      case TrainableSpec::Mode::classifier: on[p] = layer[s.node] == layers - 1; break;
      case TrainableSpec::Mode::last_k: on[p] = layer[s.node] >= layers - spec.k; break;
      case TrainableSpec::Mode::bias_only: on[p] = param_specs(n.attrs)[s.spec].is_bias; break;
      case TrainableSpec::Mode::names:
        for (const auto& pat : spec.patterns) on[p] = on[p] || glob_match(pat, s.name);
        break;
    }
  }
  bool any = false;
  for (bool b : on) any = any || b;
  ET_REQUIRE(any, "trainable spec '{}' selects no parameter of this model (parameters are named like '{}'; "
             "Model::parameters() or `edgetrain info` list them)", to_string(spec), g.params.empty() ? "" : g.params.front().name);
  return on;
}

}  // namespace edgetrain
