// Memory layouts of parameters (convolution weights) and of what follows them: their gradients and
// optimizer state.
//   plain:   row-major over the parameter's shape (the default, and the layout of every edge:
//            checkpoints, export, pruning, inspection).
//   blocked: the parameter seen as `dims` (e.g. [G, OC/G, IC/G, KH, KW] for a grouped convolution),
//            each dim split into an outer index with a stride and inner blocks stored innermost:
//            a convolution weight [O, I, H, W] with 16 input channels, then 16 output channels,
//            innermost is inner_blks {16, 16}, inner_idxs {1, 0}; describe() writes it
//            "[O/16][I/16][H][W][16 I][16 O]" (memory order, outermost first).
// Only dense layouts are used (every dim a multiple of its blocks, no padding), so a blocked parameter
// has exactly its plain twin's bytes and element-wise steps (the optimizer update, gradient
// accumulation) run on it unchanged. compile() chooses a layout per parameter (Plan::param_layouts);
// the ParameterStore and OptimizerState hold their tensors in it while an executor trains and convert
// back on demand.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/tensor_view.hpp"

namespace edgetrain {

struct ParamLayout {
  std::vector<int64_t> dims;     // logical dims (their row-major order is the plain layout); empty: plain
  std::vector<int64_t> strides;  // per dim: stride of its outer (block) index, in elements
  std::vector<int> inner_blks;   // inner block sizes, outermost first
  std::vector<int> inner_idxs;   // the dim each inner block splits

  bool plain() const { return dims.empty(); }
  bool operator==(const ParamLayout& o) const {
    return dims == o.dims && strides == o.strides && inner_blks == o.inner_blks && inner_idxs == o.inner_idxs;
  }
  bool operator!=(const ParamLayout& o) const { return !(*this == o); }

  int64_t numel() const;
  // What the layout is, in memory order: "row-major", or e.g. "[O/16][I/16][H][W][16 I][16 O]" (dims
  // named O, I, H, W for a 4-D weight; G, O, I, H, W for a 5-D grouped one; d0, d1, ... otherwise).
  std::string describe() const;
  // Whether the layout holds exactly numel() elements, each at its own offset (no padding, no gaps).
  bool dense() const;
  // Offset of the element whose row-major index over `dims` is `index`.
  int64_t offset_of(int64_t index) const;
  // offset_of(i) for every row-major index i < numel(), in order (a table for loops that gather or
  // scatter a blocked parameter every step).
  std::vector<int64_t> offsets() const;
};

// Converts n floats in place from layout `from` to layout `to` (either may be plain; both over the
// same n elements). Allocates a temporary copy: for the edges, never inside a training step.
void relayout_params(float* data, int64_t n, const ParamLayout& from, const ParamLayout& to);

// Converts the f32 tensors (all in layout `current`; empty views skipped) to layout `to` in place and
// records it in `current`; nothing, and no allocation, when they are already in it (it runs at the
// start of every training step). How the ParameterStore and the OptimizerState follow an executor's
// plan and come back to row-major for the edges.
void convert_tracked(ParamLayout& current, const ParamLayout& to, std::initializer_list<const TensorView*> tensors);

}  // namespace edgetrain
