#include "compile/autodiff.hpp"

namespace edgetrain::compiler {

namespace {

// Forward: a value requires a gradient when its node trains or any input requires one.
void mark_requires_grad(const Graph& g, const CompileOptions& o, Autodiff& a) {
  a.trainable.assign(g.params.size(), false);
  if (o.training) a.trainable = resolve_trainable(g, o.trainable);
  a.trains.assign(g.nodes.size(), false);
  for (size_t p = 0; p < g.params.size(); ++p)
    if (a.trainable[p]) a.trains[static_cast<size_t>(g.params[p].node)] = true;
  a.requires_grad.assign(g.values.size(), false);
  a.requires_grad[static_cast<size_t>(g.input)] = o.training && o.input_grad;
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    bool rg = a.trains[n];
    for (int v : node.inputs) rg = rg || a.requires_grad[static_cast<size_t>(v)];
    a.requires_grad[static_cast<size_t>(node.output)] = o.training && rg;
  }
}

// Conservative: every input and output a backward pass of a node on the gradient path declares.
void mark_read_by_backward(const Graph& g, Autodiff& a) {
  a.read_by_backward.assign(g.values.size(), false);
  for (const Node& node : g.nodes) {
    if (!a.requires_grad[static_cast<size_t>(node.output)]) continue;
    for (Pass pass : {Pass::bwd_data, Pass::bwd_weights}) {
      const BackwardReads r = backward_reads(node.attrs, pass);
      if (r.src)
        for (int v : node.inputs) a.read_by_backward[static_cast<size_t>(v)] = true;
      if (r.dst) a.read_by_backward[static_cast<size_t>(node.output)] = true;
    }
  }
}

// Backward, from the loss: a node runs when its output's gradient exists, and gives one to each
// input that requires it.
void plan_backward(const Graph& g, Autodiff& a) {
  a.nodes.assign(g.nodes.size(), {});
  std::vector<bool> has_grad(g.values.size(), false);
  const int loss_node = g.loss_node();
  for (int n = static_cast<int>(g.nodes.size()) - 1; n >= 0; --n) {
    const Node& node = g.nodes[static_cast<size_t>(n)];
    NodeBackward& b = a.nodes[static_cast<size_t>(n)];
    const size_t out = static_cast<size_t>(node.output);
    b.runs = a.requires_grad[out] && (n == loss_node || has_grad[out]);
    if (!b.runs) continue;
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (a.requires_grad[static_cast<size_t>(node.inputs[i])]) {
        b.grad_inputs.push_back(static_cast<int>(i));
        has_grad[static_cast<size_t>(node.inputs[i])] = true;
      }
    const bool trains = a.trains[static_cast<size_t>(n)];
    b.bwd_data = !b.grad_inputs.empty();
    b.weight_grads_in_bwd_data = trains && b.bwd_data && fuses_weight_grads(node.attrs);
    b.bwd_weights = trains && !b.weight_grads_in_bwd_data;
  }
}

}  // namespace

Autodiff differentiate(const Graph& graph, const CompileOptions& options) {
  Autodiff a;
  mark_requires_grad(graph, options, a);
  mark_read_by_backward(graph, a);
  plan_backward(graph, a);
  return a;
}

}  // namespace edgetrain::compiler
