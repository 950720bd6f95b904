// Precision assignment pass: the element type every value and every gradient is stored and computed
// in. The one rule today: each value keeps the type the graph declares (f32 activations, i32 labels)
// and every gradient is f32. A low-precision policy adds its rule here; lowering sizes buffers and
// states kernel problems from these types.
#pragma once
#include <vector>

#include "compile/autodiff.hpp"
#include "core/dtype.hpp"
#include "graph/graph.hpp"

namespace edgetrain::compiler {

struct Precisions {
  std::vector<DType> values;     // per value
  std::vector<DType> gradients;  // per value: its gradient (f32 where it has none)
  DType weight_gradients = DType::f32;
};

Precisions assign_precisions(const Graph& graph, const Autodiff& grads);

}  // namespace edgetrain::compiler
