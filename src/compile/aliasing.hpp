// Aliasing pass: which steps write over a buffer they read, so the memory plan needs no second one.
//  - Forward: a node that may run in place (forward_in_place) writes its output over an input whose
//    bytes no one needs after it: computed (not the graph input, not a view's), read by this node only,
//    read by no backward pass, not the logits, of the output's shape and layout.
//  - Backward: a bwd_data that may run in place (backward_in_place) writes the gradient of its input
//    over the gradient of its output, when that is the input's first gradient (lowering knows).
//    Not when every gradient must keep its own buffer (backward_in_place = false: inspection).
#pragma once
#include <vector>

#include "compile/context.hpp"

namespace edgetrain::compiler {

struct Aliasing {
  std::vector<int> forward_over;        // per node: the input value its output is written over, or -1
  std::vector<bool> backward_in_place;  // per node: bwd_data may write diff_src over diff_dst
};

Aliasing choose_aliasing(const CompileContext& c, const Layouts& layouts);

}  // namespace edgetrain::compiler
