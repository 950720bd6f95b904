// Lowering pass: the steps of the training (or inference) step in execution order — kernel steps
// with the kernels layout assignment chose, gradient accumulations, optimizer updates — and every
// buffer they touch as a request (size, kind, first and last step) for memory planning. Views (Flatten)
// share their input's bytes and fused activations their producer's step: neither runs one.
#pragma once
#include "compile/aliasing.hpp"
#include "compile/kernel_choice.hpp"
#include "runtime/plan.hpp"

namespace edgetrain::compiler {

// A plan with its steps, buffer requests and per-value buffers; memory planning completes it.
Plan lower(const CompileContext& c, const Layouts& layouts, const Aliasing& aliasing, KernelChoice& kernels);

}  // namespace edgetrain::compiler
