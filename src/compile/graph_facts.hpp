// What every compiler pass reads about the graph at the compiled batch size: the shape of every value,
// who reads each value, and how many nodes read each parameter.
#pragma once
#include <vector>

#include "core/shape.hpp"
#include "graph/graph.hpp"

namespace edgetrain::compiler {

struct GraphFacts {
  std::vector<Shape> shapes;                // per value, at the compiled batch
  std::vector<std::vector<int>> consumers;  // per value: the nodes reading it, ascending
  std::vector<int> param_readers;           // per parameter: the nodes reading it
  int64_t num_classes = 0;
};

// Throws Error naming the node when shapes do not agree at this batch.
GraphFacts analyse_graph(const Graph& graph, int64_t batch);

}  // namespace edgetrain::compiler
