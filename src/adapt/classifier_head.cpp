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

}  // namespace edgetrain::adapt
