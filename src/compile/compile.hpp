// compile(): everything that can fail, allocate or choose happens here. From the forward graph and
// a training spec it emits only the backward steps that are needed (no bwd_weights for frozen
// parameters, no bwd_data upstream of the first trainable op), saves only what those steps read,
// chooses a kernel per step and plans all memory.
#pragma once
#include "graph/graph.hpp"
#include "graph/trainable.hpp"
#include "kernels/backend.hpp"
#include "optim/optimizer_config.hpp"
#include "runtime/plan.hpp"

namespace edgetrain {

struct CompileOptions {
  int64_t batch = 32;
  bool training = true;
  TrainableSpec trainable;
  bool freeze_bn_stats = false;      // BN normalises with running statistics while training
  optim::OptimizerConfig optimizer;  // decides the optimizer-state slots
  PlannerKind planner = PlannerKind::greedy_by_size;
  std::size_t memory_budget = 0;  // bytes, 0 = unlimited; exceeding it is an Error
  bool input_grad = false;        // also compute d(loss)/d(input) (tests)
  bool backward_in_place = true;  // false: every gradient keeps its own buffer (inspection)
  BackendChoice backend;          // where kernel selection starts in the table (kernels/backend.hpp); unset: the top
  // Keep 4-D activations and their gradients in the blocked16 layout between steps where every kernel
  // touching them takes it (see core/layout.hpp). false: all plain (inspection reads values as NCHW).
  bool blocked_layouts = true;
  // Keep a convolution weight, its gradient and its optimizer state in the layout its forward kernel
  // prefers (see core/param_layout.hpp) instead of row-major (needs blocked_layouts).
  bool blocked_params = true;
  // Compute a ReLU / ReLU6 inside the step producing its input where a kernel can (BatchNorm on
  // blocked16, oneDNN convolutions): fewer passes over the activation (not with backward_in_place =
  // false: fused values share buffers). false: every node
  // its own steps (inspection reads each value).
  bool fuse_activations = true;
  // Let kernels pick Winograd convolutions where they are faster (oneDNN, 3x3 stride 1): fewer
  // multiplies, more scratch. Dropped when the plan is over memory_budget and the direct algorithms
  // fit.
  bool winograd = true;
  // The element type of the activations and their gradients: f32, bf16 or fx8..fx16 (weights, their gradients
  // and optimizer state stay f32; see compile/precision.hpp).
  DType activations = DType::f32;
};

Plan compile(const Graph& graph, const CompileOptions& options);

}  // namespace edgetrain
