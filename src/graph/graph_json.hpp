// A Graph as JSON, so that any model — a zoo model, an imported ONNX file, a pruned or otherwise
// rewritten network — can be stored in a checkpoint and rebuilt without knowing where it came from.
//
//   {"input": [C, H, W],
//    "nodes": [{"name", "op", "attrs": {...}, "inputs": [value names], "params": [slot names],
//               "states": [slot names]}, ...],          (the loss node is implied)
//    "logits": value name}
// Value names are node names ("input" for the image batch); slot names are kept verbatim.
#pragma once
#include <nlohmann/json.hpp>

#include "graph/graph.hpp"

namespace edgetrain {

nlohmann::json graph_to_json(const Graph& graph);
// Throws Error (naming the node) on unknown ops, missing fields or inconsistent shapes.
Graph graph_from_json(const nlohmann::json& j);

nlohmann::json attrs_to_json(const Attrs& attrs);
Attrs attrs_from_json(std::string_view op, const nlohmann::json& j);

}  // namespace edgetrain
