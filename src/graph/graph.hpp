// Graph IR: single-output nodes over values, in topological order. Parameters and state (BN running
// statistics) are named slots whose bytes live in the model's ParameterStore.
#pragma once
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"
#include "ops/attrs.hpp"
#include "ops/op.hpp"

namespace edgetrain {

struct Value {
  std::string name;
  Shape shape;  // with batch dimension (the batch of the last inference; compile() re-infers it)
  DType dtype = DType::f32;
  int producer = -1;  // node index, -1 for graph inputs
};

struct Node {
  std::string name;
  Attrs attrs;
  std::vector<int> inputs;  // value ids
  int output = -1;          // value id
  std::vector<int> params;  // parameter ids, in param_specs order
  std::vector<int> states;  // state ids, in state_specs order
};

struct Slot {  // a parameter or a state tensor
  std::string name;  // "<node>.<suffix>", e.g. "layer1.conv1.weight"
  Shape shape;
  int node = -1;
  int spec = 0;  // index into param_specs / state_specs of the node
};

class Graph {
 public:
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<Slot> params;
  std::vector<Slot> states;
  int input = -1;   // image batch [N, C, H, W]
  int labels = -1;  // [N] i32
  int logits = -1;  // [N, K]
  int loss = -1;    // [1]

  // Re-runs shape inference for a batch size; throws Error naming the node on any inconsistency.
  void infer_shapes(int64_t batch);
  // Consumers of each value (node ids, ascending).
  std::vector<std::vector<int>> consumers() const;
  int find_node(std::string_view name) const;  // -1 if absent
  int loss_node() const { return values[loss].producer; }
  int64_t num_classes() const { return values[logits].shape[1]; }
  Shape input_shape() const { return values[input].shape; }  // [N, C, H, W]
};

}  // namespace edgetrain
