#include "compile/memory_assignment.hpp"

#include <omp.h>

#include "kernels/registry.hpp"

namespace edgetrain::compiler {

namespace {

// The native GEMM's packing buffers are made per thread on first use: they exist only where a step
// runs on it.
std::size_t kernel_workspace(const Plan& plan) {
  for (const Step& s : plan.steps)
    if (s.kernel && s.kernel->uses_persistent_workspace()) return persistent_workspace_bytes(omp_get_max_threads());
  return 0;
}

}  // namespace

void assign_memory(Plan& plan, const Graph& g, PlannerKind planner) {
  for (BufferRequest& r : plan.buffers)
    if (r.first_step < 0) r.first_step = r.last_step = 0;  // never touched: keep it tiny and harmless
  plan.memory = plan_memory(plan.buffers, planner);
  PlanBreakdown& m = plan.breakdown;
  for (size_t p = 0; p < g.params.size(); ++p) {
    const std::size_t bytes = static_cast<size_t>(g.params[p].shape.numel()) * sizeof(float);
    m.weights += bytes;
    if (plan.trainable[p]) m.optimizer_state += bytes * static_cast<size_t>(plan.opt_slots);
  }
  for (const Slot& s : g.states) m.state += static_cast<size_t>(s.shape.numel()) * sizeof(float);
  for (const BufferRequest& r : plan.buffers) m.by_kind[static_cast<size_t>(r.kind)] += r.bytes;
  m.arena = plan.memory.arena_bytes;
  m.kernel_workspace = kernel_workspace(plan);
  for (const Step& s : plan.steps) {
    if (s.kind != StepKind::kernel) continue;
    if (s.pass == Pass::fwd) plan.forward_macs += s.macs;
    plan.trained_macs += s.macs;
  }
}

}  // namespace edgetrain::compiler
