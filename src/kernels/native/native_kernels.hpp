// The native backend: edgetrain's own optimised CPU loops, between oneDNN and the reference in the
// kernel table. It takes what oneDNN declines or runs slowly and the reference would run slowly:
//   Conv2d     f32, plain layouts: im2col + the cache-blocked GEMM (gemm.hpp); depthwise direct loops.
//   Linear     f32: the GEMM.
//   BatchNorm  f32 on blocked16, with a fused ReLU / ReLU6 and the fused weight gradients.
//   Mul        f32 on blocked16: squeeze-and-excitation's gate (b [N, C, 1, 1] broadcast) or two
//              tensors of one shape.
// Each is checked against the reference in tests/kernels. The contract is the reference's
// (ref_kernels.hpp): kernels overwrite their outputs, use scratch_bytes() of scratch, allocate nothing
// (the GEMM's once-per-thread packing buffers excepted) and throw nothing.
#pragma once
#include <cstddef>

#include "kernels/kernel.hpp"
#include "ops/attrs.hpp"

namespace edgetrain::native {

#define ET_NATIVE_DECLARE(Attrs)                                           \
  void fwd(const Attrs&, const KernelProblem&, const KernelArgs&);         \
  void bwd_data(const Attrs&, const KernelProblem&, const KernelArgs&);    \
  void bwd_weights(const Attrs&, const KernelProblem&, const KernelArgs&); \
  std::size_t scratch_bytes(const Attrs&, const KernelProblem&);

ET_NATIVE_DECLARE(Conv2dAttrs)
ET_NATIVE_DECLARE(LinearAttrs)
ET_NATIVE_DECLARE(BatchNormAttrs)
#undef ET_NATIVE_DECLARE

void fwd(const MulAttrs&, const KernelProblem&, const KernelArgs&);
void bwd_data(const MulAttrs&, const KernelProblem&, const KernelArgs&);
std::size_t scratch_bytes(const MulAttrs&, const KernelProblem&);

}  // namespace edgetrain::native
