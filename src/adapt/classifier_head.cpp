#include "adapt/classifier_head.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "graph/graph_json.hpp"

namespace edgetrain::adapt {

int classifier_node(const Graph& g) {
  int v = g.logits;
  while (true) {
    const int id = g.values[static_cast<size_t>(v)].producer;
    ET_REQUIRE(id >= 0, "the logits come straight from the input: no classifier layer to re-target");
    const Node& n = g.nodes[static_cast<size_t>(id)];
    if (is<LinearAttrs>(n.attrs) || is<Conv2dAttrs>(n.attrs)) return id;
    const bool passes_classes = is<FlattenAttrs>(n.attrs) || is<DropoutAttrs>(n.attrs) || is<ReluAttrs>(n.attrs) ||
                                is<Relu6Attrs>(n.attrs) || is<PointwiseAttrs>(n.attrs) ||
                                is<GlobalAvgPoolAttrs>(n.attrs) || is<AvgPoolAttrs>(n.attrs) ||
                                is<MaxPoolAttrs>(n.attrs);
    ET_REQUIRE(passes_classes && n.inputs.size() == 1,
               "cannot re-target the classes: the logits come from '{}' ({}), not from a Linear or Conv2d layer",
               n.name, op_name(n.attrs));
    v = n.inputs[0];
  }
}

Network with_num_classes(const Network& model, int64_t num_classes, uint64_t seed) {
  ET_REQUIRE(num_classes >= 1, "number of classes must be positive, got {}", num_classes);
  const Graph& g = model.graph;
  const int head = classifier_node(g);
  nlohmann::json j = graph_to_json(g);
  for (auto& n : j.at("nodes")) {
    if (n.at("name") != g.nodes[static_cast<size_t>(head)].name) continue;
    auto& a = n.at("attrs");
    if (a.contains("out_features")) a["out_features"] = num_classes;
    else a["out_channels"] = num_classes;
  }
  Network out;
  out.graph = graph_from_json(j);
  out.params = ParameterStore(out.graph, seed);  // the new head keeps this fresh initialisation
  out.info = model.info;
  out.info.class_names.resize(static_cast<size_t>(num_classes));
  for (int64_t k = 0; k < num_classes; ++k)
    if (out.info.class_names[static_cast<size_t>(k)].empty()) out.info.class_names[static_cast<size_t>(k)] = std::to_string(k);
  const Node& new_head = out.graph.nodes[static_cast<size_t>(head)];
  for (size_t p = 0; p < out.graph.params.size(); ++p) {
    if (std::find(new_head.params.begin(), new_head.params.end(), static_cast<int>(p)) != new_head.params.end())
      continue;
    const TensorView src = model.params.param(static_cast<int>(p)), dst = out.params.param(static_cast<int>(p));
    std::copy(src.as<float>(), src.as<float>() + src.numel(), dst.as<float>());
  }
  for (size_t s = 0; s < out.graph.states.size(); ++s) {
    const TensorView src = model.params.state(static_cast<int>(s)), dst = out.params.state(static_cast<int>(s));
    std::copy(src.as<float>(), src.as<float>() + src.numel(), dst.as<float>());
  }
  return out;
}

Network restrict_classes(const Network& model, const std::vector<int>& classes, int extra_outputs) {
  const int64_t k = model.graph.num_classes();
  ET_REQUIRE(!classes.empty(), "restricting the classes: the list is empty");
  std::vector<bool> seen(static_cast<size_t>(k), false);
  for (int c : classes) {
    ET_REQUIRE(c >= 0 && c < k, "restricting the classes: class {} is outside the model's {}", c, k);
    ET_REQUIRE(!seen[static_cast<size_t>(c)], "restricting the classes: class {} is listed twice", c);
    seen[static_cast<size_t>(c)] = true;
  }
  ET_REQUIRE(extra_outputs >= 0, "restricting the classes: {} extra outputs", extra_outputs);
  Network out = with_num_classes(model, static_cast<int64_t>(classes.size()) + extra_outputs, 0);
  const Node& head = model.graph.nodes[static_cast<size_t>(classifier_node(model.graph))];
  const Node& new_head = out.graph.nodes[static_cast<size_t>(classifier_node(out.graph))];
  for (size_t i = 0; i < head.params.size(); ++i) {  // weight [K, ...] and bias [K]: rows per class
    const TensorView src = model.params.param(head.params[i]), dst = out.params.param(new_head.params[i]);
    const int64_t row = src.numel() / k;
    for (size_t r = 0; r < classes.size(); ++r)
      std::copy_n(src.as<float>() + classes[r] * row, row, dst.as<float>() + static_cast<int64_t>(r) * row);
  }
  for (size_t r = 0; r < classes.size(); ++r)
    out.info.class_names[r] = static_cast<size_t>(classes[r]) < model.info.class_names.size()
                                  ? model.info.class_names[static_cast<size_t>(classes[r])]
                                  : std::to_string(classes[r]);
  for (size_t r = classes.size(); r < out.info.class_names.size(); ++r) out.info.class_names[r] = "other";
  return out;
}

}  // namespace edgetrain::adapt
