#include "graph/graph_json.hpp"

#include <unordered_map>
#include <utility>

#include "core/check.hpp"
#include "graph/builder.hpp"

namespace edgetrain {

void to_json(nlohmann::json& j, PointwiseFn fn) { j = kPointwiseFnNames[static_cast<size_t>(fn)].json; }

void from_json(const nlohmann::json& j, PointwiseFn& fn) {
  const std::string name = j.get<std::string>();
  for (size_t i = 0; i < std::size(kPointwiseFnNames); ++i)
    if (kPointwiseFnNames[i].json == name) {
      fn = static_cast<PointwiseFn>(i);
      return;
    }
  fail("unknown pointwise function '{}'", name);
}

namespace {

using nlohmann::json;

// The alternative of Attrs whose op_name is `op`, default-constructed.
template <size_t... I>
Attrs default_attrs(std::string_view op, std::index_sequence<I...>) {
  Attrs out;
  bool found = false;
  ((!found && op_name(Attrs{std::in_place_index<I>}) == op ? (out = Attrs{std::in_place_index<I>}, found = true)
                                                           : false),
   ...);
  ET_REQUIRE(found, "unknown op '{}'", op);
  return out;
}

}  // namespace

// Every field an attribute struct declares (see ops/attrs.hpp), by its JSON name.
json attrs_to_json(const Attrs& attrs) {
  return std::visit(
      []<class A>(const A& a) {
        json j = json::object();
        if constexpr (requires { A::fields(); })
          std::apply([&](const auto&... f) { ((j[std::string(f.name)] = a.*(f.member)), ...); }, A::fields());
        return j;
      },
      attrs);
}

Attrs attrs_from_json(std::string_view op, const json& j) {
  Attrs attrs = default_attrs(op, std::make_index_sequence<std::variant_size_v<Attrs>>{});
  std::visit(
      [&]<class A>(A& a) {
        if constexpr (requires { A::fields(); })
          std::apply(
              [&](const auto&... f) {
                ((a.*(f.member) = j.value(std::string(f.name), a.*(f.member))), ...);  // missing: the default
              },
              A::fields());
      },
      attrs);
  return attrs;
}

json graph_to_json(const Graph& g) {
  const Shape in = g.input_shape();
  json nodes = json::array();
  for (const Node& n : g.nodes) {
    if (n.output == g.loss) continue;
    json inputs = json::array(), params = json::array(), states = json::array();
    for (int v : n.inputs) inputs.push_back(g.values[v].name);
    for (int p : n.params) params.push_back(g.params[p].name);
    for (int s : n.states) states.push_back(g.states[s].name);
    nodes.push_back({{"name", n.name},
                     {"op", op_name(n.attrs)},
                     {"attrs", attrs_to_json(n.attrs)},
                     {"inputs", inputs},
                     {"params", params},
                     {"states", states}});
  }
  return {{"input", {in[1], in[2], in[3]}}, {"nodes", nodes}, {"logits", g.values[g.logits].name}};
}

Graph graph_from_json(const json& j) {
  try {
    auto chw = j.at("input").get<std::vector<int64_t>>();
    ET_REQUIRE(chw.size() == 3, "graph input must be [C, H, W]");
    GraphBuilder b{Shape(chw)};
    std::unordered_map<std::string, int> values{{"input", b.input()}};
    std::vector<std::pair<int, const json*>> built;  // node value, its JSON
    for (const json& n : j.at("nodes")) {
      const auto name = n.at("name").get<std::string>();
      std::vector<int> srcs;
      for (const json& in : n.at("inputs")) {
        auto it = values.find(in.get<std::string>());
        ET_REQUIRE(it != values.end(), "node '{}': input '{}' is not defined before it", name, in.get<std::string>());
        srcs.push_back(it->second);
      }
      Attrs attrs;
      try {
        attrs = attrs_from_json(n.at("op").get<std::string>(), n.value("attrs", json::object()));
      } catch (const json::exception& e) {
        fail("node '{}': bad attributes ({})", name, e.what());
      }
      values[name] = b.node(name, attrs, srcs);
      built.emplace_back(values[name], &n);
    }
    auto logits = values.find(j.at("logits").get<std::string>());
    ET_REQUIRE(logits != values.end(), "graph logits '{}' is not a node", j.at("logits").get<std::string>());
    Graph g = b.finish(logits->second);
    // Slot names are stored verbatim (imported models keep their initializer names).
    for (auto [value, n] : built) {
      const Node& node = g.nodes[static_cast<size_t>(g.values[value].producer)];
      auto params = n->value("params", json::array()), states = n->value("states", json::array());
      ET_REQUIRE(params.size() == node.params.size() && states.size() == node.states.size(),
                 "node '{}': {} parameters and {} states listed, the op has {} and {}", node.name, params.size(),
                 states.size(), node.params.size(), node.states.size());
      for (size_t i = 0; i < params.size(); ++i) g.params[node.params[i]].name = params[i].get<std::string>();
      for (size_t i = 0; i < states.size(); ++i) g.states[node.states[i]].name = states[i].get<std::string>();
    }
    return g;
  } catch (const json::exception& e) {
    fail("model graph description is incomplete ({})", e.what());
  }
}

}  // namespace edgetrain
