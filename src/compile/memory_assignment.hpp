// Memory planning pass: places every buffer request of a lowered plan in one arena (the planner's
// offsets and exact peak) and counts the step's whole memory: parameters, BN statistics, optimizer
// state, the arena, and the kernels' persistent workspace.
#pragma once
#include "graph/graph.hpp"
#include "memory/planner.hpp"
#include "runtime/plan.hpp"

namespace edgetrain::compiler {

void assign_memory(Plan& plan, const Graph& graph, PlannerKind planner);

}  // namespace edgetrain::compiler
