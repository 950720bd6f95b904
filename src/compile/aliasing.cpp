#include "compile/aliasing.hpp"

namespace edgetrain::compiler {

namespace {

int forward_over(const CompileContext& c, const Layouts& l, const Node& n) {
  if (!forward_in_place(n.attrs)) return -1;
  const Graph& g = c.graph;
  const auto out = static_cast<size_t>(n.output);
  for (int in : n.inputs) {
    const auto v = static_cast<size_t>(in);
    const int producer = g.values[v].producer;
    if (in != g.input && producer >= 0 && !is_view(g.nodes[static_cast<size_t>(producer)].attrs) &&
        c.facts.consumers[v].size() == 1 && !c.grads.read_by_backward[v] && in != g.logits &&
        c.facts.shapes[v] == c.facts.shapes[out] && l.values[v] == l.values[out])
      return in;
  }
  return -1;
}

}  // namespace

Aliasing choose_aliasing(const CompileContext& c, const Layouts& layouts) {
  Aliasing a;
  for (const Node& n : c.graph.nodes) {
    a.forward_over.push_back(forward_over(c, layouts, n));
    a.backward_in_place.push_back(c.options.backward_in_place && backward_in_place(n.attrs));
  }
  return a;
}

}  // namespace edgetrain::compiler
