#include "compile/compile.hpp"

#include <cstdio>

#include "compile/aliasing.hpp"
#include "compile/autodiff.hpp"
#include "compile/context.hpp"
#include "compile/graph_facts.hpp"
#include "compile/kernel_choice.hpp"
#include "compile/layout_assignment.hpp"
#include "compile/lowering.hpp"
#include "compile/memory_assignment.hpp"
#include "compile/precision.hpp"
#include "core/bytes.hpp"
#include "core/check.hpp"
#include "core/log.hpp"
#include "kernels/registry.hpp"

namespace edgetrain {

namespace {

// The passes, in order. Each reads what the ones before it settled (see each pass's header).
Plan run_passes(const Graph& graph, const CompileOptions& options) {
  using namespace compiler;
  CompileContext c{graph, options, analyse_graph(graph, options.batch), {}, {}};
  c.grads = differentiate(graph, options);
  c.precisions = assign_precisions(graph, c.grads, options.activations);
  KernelChoice kernels(options.backend);
  const LayoutAssignment assigned = assign_layouts(c, kernels);  // with fusion and kernel choice
  const Aliasing aliasing = choose_aliasing(c, assigned.layouts);
  Plan plan = lower(c, assigned.layouts, aliasing, kernels);
  plan.compile_rounds = assigned.rounds;
  assign_memory(plan, graph, options.planner);
  return plan;
}

}  // namespace

Plan compile(const Graph& graph, const CompileOptions& options) {
  ET_REQUIRE(graph.loss >= 0 && graph.input >= 0 && graph.labels >= 0,
             "the model has no loss: build it with a classifier");
  ET_REQUIRE(options.batch > 0, "batch size must be positive, got {}", options.batch);
  CompileOptions o = options;
  Plan plan = run_passes(graph, o);
  const auto over_budget = [&](const Plan& p) { return o.memory_budget > 0 && p.breakdown.total() > o.memory_budget; };
  if (over_budget(plan) && runs_winograd(plan)) {
    // Winograd's tile buffers are the memory a faster kernel choice adds: a tight budget drops them
    // (direct algorithms only) before giving up.
    o.winograd = false;
    Plan direct = run_passes(graph, o);
    if (direct.breakdown.total() < plan.breakdown.total()) {
      if (verbose_level() >= 1)
        std::fprintf(stderr, "compile,memory budget %s: Winograd convolutions dropped (plan %s -> %s)\n",
                     human_bytes(o.memory_budget).c_str(), human_bytes(plan.breakdown.total()).c_str(),
                     human_bytes(direct.breakdown.total()).c_str());
      plan = std::move(direct);
    }
  }
  if (over_budget(plan)) {
    const PlanBreakdown& m = plan.breakdown;
    fail(
        "memory budget {} is impossible for this configuration: the training step needs {} (weights {}, "
        "optimizer state {}, planned activations/gradients/workspace {}, kernel workspace {}); lower the batch size "
        "({} now) or "
        "train fewer layers (e.g. Trainable::last(2), --trainable last:2)",
        human_bytes(o.memory_budget), human_bytes(m.total()), human_bytes(m.weights), human_bytes(m.optimizer_state),
        human_bytes(m.arena), human_bytes(m.kernel_workspace), o.batch);
  }
  return plan;
}

}  // namespace edgetrain
