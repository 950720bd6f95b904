#include "compile/fusion.hpp"

namespace edgetrain::compiler {

Activation Fusion::activation(const Graph& g, int node) const {
  const int a = activation_of[static_cast<size_t>(node)];
  return a < 0 ? Activation::none : fusable_activation(g.nodes[static_cast<size_t>(a)].attrs);
}

int Fusion::written_value(const Graph& g, int node) const {
  const int a = activation_of[static_cast<size_t>(node)];
  return g.nodes[static_cast<size_t>(a < 0 ? node : a)].output;
}

Fusion choose_fusions(const Graph& g, const GraphFacts& facts, const std::vector<Layout>& layouts,
                      const std::vector<bool>& unfused, const CompileOptions& o) {
  Fusion f;
  f.activation_of.assign(g.nodes.size(), -1);
  f.computed_by.assign(g.nodes.size(), -1);
  // Fused, the activation's input and output share their value and gradient buffers.
  if (!o.fuse_activations || !o.backward_in_place || !blocks_convolutions(o.backend)) return f;
  for (size_t a = 0; a < g.nodes.size(); ++a) {
    const Node& act = g.nodes[a];
    if (fusable_activation(act.attrs) == Activation::none) continue;
    const int v = act.inputs[0], p = g.values[static_cast<size_t>(v)].producer;
    if (p < 0 || unfused[static_cast<size_t>(p)] || facts.consumers[static_cast<size_t>(v)].size() != 1 ||
        v == g.logits || !takes_fused_activation(g.nodes[static_cast<size_t>(p)].attrs) ||
        layouts[static_cast<size_t>(v)] != layouts[static_cast<size_t>(act.output)])
      continue;
    f.activation_of[static_cast<size_t>(p)] = static_cast<int>(a);
    f.computed_by[a] = p;
  }
  return f;
}

}  // namespace edgetrain::compiler
