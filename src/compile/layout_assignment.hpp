// Layout assignment pass. Every f32 4-D activation with a multiple of 16 channels, other than the graph
// input and a value a view reads (row-major bytes), starts blocked16; every parameter starts
// row-major; activations fuse where the fusion pass allows. Then kernels decide, in rounds:
//  - a step whose problem no kernel takes in its layouts (an op the blocked backend lacks, mixed
//    layouts an element-wise kernel cannot take) demotes every blocked value and parameter it touches
//    to plain; one declining only its fused activation unfuses its node;
//  - a convolution's forward kernel that would rather have its weight in another dense layout
//    (preferred_weight_layout, e.g. OIhw16i16o) gives it that layout, for every step touching it, its
//    gradient and its optimizer state (only a weight read by a single node); a step declining it makes
//    it row-major for good.
// A decision changes only the problems of the steps touching what it changed; only those are asked
// again (KernelChoice remembers every answer), until a round decides nothing new.
#pragma once
#include "compile/kernel_choice.hpp"

namespace edgetrain::compiler {

struct LayoutAssignment {
  Layouts layouts;
  int rounds = 1;  // rounds until nothing changed
};

LayoutAssignment assign_layouts(const CompileContext& c, KernelChoice& kernels);

}  // namespace edgetrain::compiler
