// Plan: the compiled training (or inference) step — ordered steps with their kernels chosen, every
// tensor a step touches resolved to a place (arena buffer, parameter, state, optimizer state), and
// the memory plan with its exact peak. Built by compile(); run by Executor.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "core/param_layout.hpp"
#include "kernels/kernel.hpp"
#include "memory/buffer_request.hpp"
#include "memory/planner.hpp"

namespace edgetrain {

enum class StepKind { kernel, accumulate, update };

// Where a tensor of a step lives. For `arena` the index is a buffer request; for `param`/`state`
// a graph slot; for `opt_state` the parameter, and `slot` which of its optimizer tensors.
struct TensorRef {
  enum class Space { none, arena, param, state, opt_state } space = Space::none;
  int index = -1;
  Shape shape;
  DType dtype = DType::f32;
  int slot = 0;
  explicit operator bool() const { return space != Space::none; }
};

struct StepRefs {
  std::vector<TensorRef> src, weights, state, aux, diff_src, diff_weights;
  TensorRef dst, diff_dst, scratch;
};

struct Step {
  StepKind kind = StepKind::kernel;
  int node = -1;   // graph node (kernel), or -1
  int param = -1;  // parameter being updated (update)
  Pass pass = Pass::fwd;
  std::string name;     // node name
  std::string op;       // op name
  std::string problem;  // canonical problem string
  int64_t macs = 0;     // multiply-accumulates this step performs
  std::shared_ptr<const Kernel> kernel;
  std::vector<Layout> src_layouts;  // kernel steps: the layouts its kernel takes (and gives dst, dy, dx in)
  Layout dst_layout = Layout::plain;
  StepRefs refs;
};

struct PlanBreakdown {
  std::size_t weights = 0;                             // parameters (persistent)
  std::size_t state = 0;                               // BN running statistics (persistent)
  std::size_t optimizer_state = 0;                     // momentum / Adam moments of trainable parameters (persistent)
  std::array<std::size_t, kBufferKinds> by_kind = {};  // planned bytes requested per BufferKind (before reuse)
  std::size_t arena = 0;                               // the planned arena: the exact peak of all planned buffers
  std::size_t kernel_workspace = 0;                    // persistent per-thread kernel buffers (GEMM packing)
  std::size_t requested(BufferKind k) const { return by_kind[static_cast<std::size_t>(k)]; }
  std::size_t total() const { return weights + state + optimizer_state + arena + kernel_workspace; }
};

struct Plan {
  bool training = true;
  int64_t batch = 0;
  int64_t num_classes = 0;
  std::vector<Step> steps;
  std::vector<BufferRequest> buffers;
  MemoryPlan memory;
  PlanBreakdown breakdown;
  std::vector<bool> trainable;      // per parameter
  std::vector<Shape> value_shapes;  // per graph value, at this batch
  int input_buffer = -1, labels_buffer = -1, loss_buffer = -1, prediction_buffer = -1, logits_buffer = -1;
  int opt_slots = 0;  // optimizer state tensors per trainable parameter
  // Per graph value: the buffer holding it, and the one its gradient ends in (-1: none). Buffers are
  // shared by in-place steps, so after a step a buffer holds the last value written to it: a value read
  // by a non-in-place consumer keeps its bytes under the no-reuse planner; a gradient keeps its own
  // only when compiled with backward_in_place = false (inspection: pruning criteria, tests).
  std::vector<int> value_buffers, grad_buffers;
  std::vector<Layout> value_layouts;  // per graph value: the layout of it and of its gradient
  // Per parameter: the layout of it, its gradient and its optimizer state while this plan runs (the
  // executor converts the ParameterStore and OptimizerState to it; see core/param_layout.hpp).
  std::vector<ParamLayout> param_layouts;
  std::vector<int> param_grad_buffers;  // per parameter: the buffer its gradient is written to (-1: frozen)
  int compile_rounds = 1;               // layout-assignment rounds (see compile/layout_assignment.hpp)
  int64_t forward_macs = 0;             // per step (whole batch)
  int64_t trained_macs = 0;             // fwd + bwd_data + bwd_weights MACs of the step
};

// Whether any step runs a Winograd convolution (the scratch a tight memory budget gives up first).
inline bool runs_winograd(const Plan& plan) {
  for (const Step& s : plan.steps)
    if (s.kernel && s.kernel->runs_winograd()) return true;
  return false;
}

}  // namespace edgetrain
