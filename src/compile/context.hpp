// What the passes before layout assignment settle, read by every pass after them.
#pragma once
#include "compile/autodiff.hpp"
#include "compile/compile.hpp"
#include "compile/fusion.hpp"
#include "compile/graph_facts.hpp"
#include "compile/precision.hpp"

namespace edgetrain::compiler {

struct CompileContext {
  const Graph& graph;  // outlives the context
  CompileOptions options;
  GraphFacts facts;
  Autodiff grads;
  Precisions precisions;
};

// Where each value and parameter lives while the step runs, and which activations fuse (layout
// assignment settles them together: a fusion needs its two values in one layout).
struct Layouts {
  std::vector<Layout> values;       // per value: it and its gradient
  std::vector<ParamLayout> params;  // per parameter: it, its gradient and its optimizer state
  Fusion fusion;
};

// One kernel step of the training step: a node's pass.
struct StepId {
  int node = -1;
  Pass pass = Pass::fwd;
  auto operator<=>(const StepId&) const = default;
};

}  // namespace edgetrain::compiler
