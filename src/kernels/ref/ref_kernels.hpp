// Reference kernels: one file per op (src/kernels/ref/<op>.cpp), each dispatching on problem.dtype
// (f32, f64) to a template. They are the truth the fast backends are tested against.
//
// Contract (see kernels/kernel.hpp): every kernel overwrites its outputs; args.scratch holds at least
// scratch_bytes(attrs, problem) bytes for the pass in problem.pass; execution allocates nothing (the
// GEMM's once-per-thread packing buffers excepted) and throws nothing.
//
//   fwd          reads src, weights, state (eval BatchNorm), step_seed (Dropout); writes dst, aux
//                (training), state (training BatchNorm).
//   bwd_data     reads diff_dst, weights, aux, and src / dst as op_def::reads says; writes each
//                non-empty diff_src.
//   bwd_weights  reads diff_dst, src, aux; writes each non-empty diff_weights (ops with parameters).
#pragma once
#include <cstddef>

#include "kernels/kernel.hpp"
#include "ops/attrs.hpp"

namespace edgetrain::ref {

#define ET_REF_DECLARE(Attrs)                                    \
  void fwd(const Attrs&, const OpDesc&, const KernelArgs&);      \
  void bwd_data(const Attrs&, const OpDesc&, const KernelArgs&); \
  std::size_t scratch_bytes(const Attrs&, const OpDesc&);

ET_REF_DECLARE(Conv2dAttrs)
ET_REF_DECLARE(BatchNormAttrs)
ET_REF_DECLARE(ReluAttrs)
ET_REF_DECLARE(Relu6Attrs)
ET_REF_DECLARE(MaxPoolAttrs)
ET_REF_DECLARE(AvgPoolAttrs)
ET_REF_DECLARE(GlobalAvgPoolAttrs)
ET_REF_DECLARE(LinearAttrs)
ET_REF_DECLARE(AddAttrs)
ET_REF_DECLARE(ConcatAttrs)
ET_REF_DECLARE(FlattenAttrs)
ET_REF_DECLARE(DropoutAttrs)
ET_REF_DECLARE(SoftmaxCrossEntropyAttrs)
ET_REF_DECLARE(PointwiseAttrs)
ET_REF_DECLARE(MulAttrs)
ET_REF_DECLARE(ChannelSliceAttrs)
ET_REF_DECLARE(ChannelShuffleAttrs)
#undef ET_REF_DECLARE

// Ops with parameters.
void bwd_weights(const Conv2dAttrs&, const OpDesc&, const KernelArgs&);
void bwd_weights(const BatchNormAttrs&, const OpDesc&, const KernelArgs&);
void bwd_weights(const LinearAttrs&, const OpDesc&, const KernelArgs&);

}  // namespace edgetrain::ref
