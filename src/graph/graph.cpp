#include "graph/graph.hpp"

#include "core/check.hpp"

namespace edgetrain {

void Graph::infer_shapes(int64_t batch) {
  ET_REQUIRE(batch > 0, "batch size must be positive, got {}", batch);
  values[input].shape[0] = batch;
  if (labels >= 0) values[labels].shape = Shape{batch};
  std::vector<Shape> src;
  for (Node& n : nodes) {
    src.clear();
    for (int v : n.inputs) src.push_back(values[v].shape);
    try {
      values[n.output].shape = infer_shape(n.attrs, src);
    } catch (const Error& e) {
      fail("node '{}': {}", n.name, e.what());
    }
  }
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> out(values.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int v : nodes[i].inputs) out[v].push_back(static_cast<int>(i));
  return out;
}

int Graph::find_node(std::string_view name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace edgetrain
