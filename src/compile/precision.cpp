#include "compile/precision.hpp"

#include "core/check.hpp"

namespace edgetrain::compiler {

namespace {

// The low-precision type for every computed f32 activation but the logits and the loss.
std::vector<DType> low_precision_values(const Graph& g, DType activations) {
  std::vector<DType> t;
  for (size_t v = 0; v < g.values.size(); ++v) {
    const Value& value = g.values[v];
    const bool kept = value.producer < 0 || value.dtype != DType::f32 || static_cast<int>(v) == g.logits ||
                      static_cast<int>(v) == g.loss;
    t.push_back(kept ? value.dtype : activations);
  }
  // A view's output is its input's bytes: an f32 output (a flattened logits tensor) keeps its input
  // f32, then every view output takes its input's type.
  for (auto n = g.nodes.rbegin(); n != g.nodes.rend(); ++n)
    if (is_view(n->attrs) && t[static_cast<size_t>(n->output)] == DType::f32)
      t[static_cast<size_t>(n->inputs[0])] = DType::f32;
  for (const Node& n : g.nodes)
    if (is_view(n.attrs)) t[static_cast<size_t>(n.output)] = t[static_cast<size_t>(n.inputs[0])];
  return t;
}

}  // namespace

Precisions assign_precisions(const Graph& graph, const Autodiff&, DType activations) {
  ET_REQUIRE(activations == DType::f32 || is_low_precision(activations),
             "activation precision {} is not supported: use f32, bf16 or fx8/fx12/fx14/fx16",
             dtype_info(activations).name);
  Precisions p;
  if (activations == DType::f32) {
    for (const Value& v : graph.values) p.values.push_back(v.dtype);
  } else {
    p.values = low_precision_values(graph, activations);
  }
  // A gradient has its value's type (kernel problems state one type per value and its gradient).
  for (DType t : p.values) p.gradients.push_back(is_real(t) ? t : DType::f32);
  return p;
}

}  // namespace edgetrain::compiler
