// The registry row "native": checks the problem against what the native kernels run (native_kernels.hpp)
// and builds a LoopKernel over their functions.
#include "kernels/loop_kernel.hpp"
#include "kernels/native/native_kernels.hpp"
#include "kernels/registry.hpp"

namespace edgetrain {
namespace {

template <class A>
std::unique_ptr<Kernel> native_kernel(const KernelProblem& p, const LoopKernelFacts& facts) {
  const LoopFunctions<A> fns{&native::fwd, &native::bwd_data, &native::bwd_weights, &native::scratch_bytes};
  return std::make_unique<LoopKernel<A>>(fns, facts, p);
}

bool depthwise(const Conv2dAttrs& a) { return a.groups > 1 && a.groups == a.in_channels; }

std::unique_ptr<Kernel> make_gemm_op(const KernelProblem& p, std::string& why_not) {
  if (!p.all_plain() || p.fused_activation != Activation::none) {
    why_not = "the native convolution and linear layer run on plain layouts without a fused activation";
    return nullptr;
  }
  if (const auto* conv = std::get_if<Conv2dAttrs>(&p.attrs)) {
    if (depthwise(*conv)) return native_kernel<Conv2dAttrs>(p, {KernelBackend::native, Algorithm::other, false});
    return native_kernel<Conv2dAttrs>(p, {KernelBackend::native, Algorithm::native_gemm, true});
  }
  return native_kernel<LinearAttrs>(p, {KernelBackend::native, Algorithm::native_gemm, true});
}

std::unique_ptr<Kernel> make_batch_norm(const KernelProblem& p, std::string& why_not) {
  if (p.src[0].rank() != 4 || p.src_layout_of(0) != Layout::blocked16 || p.dst_layout != Layout::blocked16) {
    why_not = "the native BatchNorm runs on blocked16 4-D tensors only";
    return nullptr;
  }
  return native_kernel<BatchNormAttrs>(p, {KernelBackend::native, Algorithm::other, false});
}

std::unique_ptr<Kernel> make_mul(const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 2 || p.src[0].rank() != 4) {
    why_not = "Mul expects two 4-D inputs";
    return nullptr;
  }
  const Layout la = p.src_layout_of(0);
  const bool broadcast = p.src[1].numel() != p.src[0].numel();
  if (la != Layout::blocked16 || p.dst_layout != la || (!broadcast && p.src_layout_of(1) != la)) {
    why_not = "the native Mul runs on blocked layouts only (the reference takes plain ones)";
    return nullptr;
  }
  if (p.pass == Pass::bwd_weights) {
    why_not = "op has no parameters";
    return nullptr;
  }
  const LoopFunctions<MulAttrs> fns{&native::fwd, &native::bwd_data, nullptr, &native::scratch_bytes};
  return std::make_unique<LoopKernel<MulAttrs>>(fns, LoopKernelFacts{KernelBackend::native, Algorithm::other, false},
                                                p);
}

}  // namespace

std::unique_ptr<Kernel> make_native_kernel(const KernelProblem& p, std::string& why_not) {
  // BatchNorm stores its activations as f32 or bf16; the other loops are f32.
  if (p.dtype == DType::bf16 && is<BatchNormAttrs>(p.attrs)) return make_batch_norm(p, why_not);
  if (p.dtype != DType::f32) {
    why_not = fmt::format("the native kernels but BatchNorm are f32 (element type {})", dtype_info(p.dtype).name);
    return nullptr;
  }
  if (is<Conv2dAttrs>(p.attrs) || is<LinearAttrs>(p.attrs)) return make_gemm_op(p, why_not);
  if (is<BatchNormAttrs>(p.attrs)) return make_batch_norm(p, why_not);
  if (is<MulAttrs>(p.attrs)) return make_mul(p, why_not);
  why_not = fmt::format("no native kernel for {}", op_name(p.attrs));
  return nullptr;
}

}  // namespace edgetrain
