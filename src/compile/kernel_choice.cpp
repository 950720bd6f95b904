#include "compile/kernel_choice.hpp"

#include "core/check.hpp"
#include "kernels/registry.hpp"

namespace edgetrain::compiler {

std::vector<StepId> kernel_steps(const CompileContext& c, const Fusion& fusion) {
  const Graph& g = c.graph;
  std::vector<StepId> steps;
  const auto runs_steps = [&](int n) { return !is_view(g.nodes[static_cast<size_t>(n)].attrs) && !fusion.is_fused(n); };
  for (int n = 0; n < static_cast<int>(g.nodes.size()); ++n)
    if (runs_steps(n)) steps.push_back({n, Pass::fwd});
  if (!c.options.training) return steps;
  for (int n = static_cast<int>(g.nodes.size()) - 1; n >= 0; --n) {
    const NodeBackward& b = c.grads.nodes[static_cast<size_t>(n)];
    if (!b.runs || !runs_steps(n)) continue;
    if (b.bwd_data) steps.push_back({n, Pass::bwd_data});
    if (b.bwd_weights) steps.push_back({n, Pass::bwd_weights});
  }
  return steps;
}

bool kernel_training(const CompileContext& c, int node) {
  if (!c.options.training) return false;
  const Node& n = c.graph.nodes[static_cast<size_t>(node)];
  switch (training_behaviour(n.attrs)) {
    case TrainingBehaviour::batch_statistics: return !c.options.freeze_bn_stats;
    // Nothing to save in a frozen prefix.
    case TrainingBehaviour::saves_for_backward: return c.grads.requires_grad[static_cast<size_t>(n.output)];
    case TrainingBehaviour::same:
    case TrainingBehaviour::stochastic: return true;
  }
  return true;
}

KernelProblem problem_of(const CompileContext& c, const Layouts& layouts, StepId step) {
  const Node& n = c.graph.nodes[static_cast<size_t>(step.node)];
  KernelProblem p;
  p.attrs = n.attrs;
  p.pass = step.pass;
  p.weight_grads_in_bwd_data =
      step.pass == Pass::bwd_data && c.grads.nodes[static_cast<size_t>(step.node)].weight_grads_in_bwd_data;
  for (int v : n.inputs) p.src.push_back(c.facts.shapes[static_cast<size_t>(v)]);
  p.dst = c.facts.shapes[static_cast<size_t>(n.output)];
  p.dtype = c.precisions.values[static_cast<size_t>(n.output)];
  for (int v : n.inputs) p.src_dtype.push_back(c.precisions.values[static_cast<size_t>(v)]);
  for (int v : n.inputs) p.src_layout.push_back(layouts.values[static_cast<size_t>(v)]);
  p.dst_layout = layouts.values[static_cast<size_t>(n.output)];
  for (int w : n.params) p.weight_layouts.push_back(layouts.params[static_cast<size_t>(w)]);
  p.fused_activation = layouts.fusion.activation(c.graph, step.node);
  p.winograd = c.options.winograd;
  p.training = kernel_training(c, step.node);
  if (p.training && training_behaviour(n.attrs) == TrainingBehaviour::batch_statistics && step.pass == Pass::fwd)
    ET_REQUIRE(p.src[0].numel() / p.src[0][1] > 1,
               "node '{}': BatchNorm needs more than one value per channel to train (input {}); use a larger "
               "batch or --freeze-bn",
               n.name, p.src[0].str());
  return p;
}

const KernelChoice::Entry* KernelChoice::find(StepId step, const KernelProblem& problem) const {
  const auto it = cache_.find(step);
  if (it == cache_.end()) return nullptr;
  for (const Entry& e : it->second)
    if (e.problem == problem) return &e;
  return nullptr;
}

std::shared_ptr<const Kernel> KernelChoice::try_choose(StepId step, const KernelProblem& problem,
                                                       std::string& reasons) {
  const Entry* e = find(step, problem);
  if (e == nullptr) {
    Entry made{problem, nullptr, {}};
    made.kernel = try_select_kernel(problem, backend_, made.reasons);
    ++selections_;
    cache_[step].push_back(std::move(made));
    e = &cache_[step].back();
  }
  reasons += e->reasons;
  return e->kernel;
}

std::shared_ptr<const Kernel> KernelChoice::choose(StepId step, const KernelProblem& problem) {
  if (const Entry* e = find(step, problem); e != nullptr && e->kernel) return e->kernel;
  std::shared_ptr<const Kernel> k = select_kernel(problem, backend_);  // throws when none takes it
  ++selections_;
  cache_[step].push_back({problem, k, {}});
  return k;
}

}  // namespace edgetrain::compiler
