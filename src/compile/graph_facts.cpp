#include "compile/graph_facts.hpp"

namespace edgetrain::compiler {

GraphFacts analyse_graph(const Graph& graph, int64_t batch) {
  GraphFacts f;
  Graph shaped = graph;
  shaped.infer_shapes(batch);
  for (const Value& v : shaped.values) f.shapes.push_back(v.shape);
  f.num_classes = shaped.values[static_cast<size_t>(graph.logits)].shape[1];
  f.consumers = graph.consumers();
  f.param_readers.assign(graph.params.size(), 0);
  for (const Node& node : graph.nodes)
    for (int w : node.params) ++f.param_readers[static_cast<size_t>(w)];
  return f;
}

}  // namespace edgetrain::compiler
