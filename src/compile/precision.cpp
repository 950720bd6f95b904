#include "compile/precision.hpp"

namespace edgetrain::compiler {

Precisions assign_precisions(const Graph& graph, const Autodiff&) {
  Precisions p;
  for (const Value& v : graph.values) p.values.push_back(v.dtype);
  p.gradients.assign(graph.values.size(), DType::f32);
  return p;
}

}  // namespace edgetrain::compiler
