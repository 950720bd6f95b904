// The registry row "ref": every op, every pass, f32 and f64, plain layouts, no fused activation.
#include "kernels/loop_kernel.hpp"
#include "kernels/ref/ref_kernels.hpp"
#include "kernels/registry.hpp"

namespace edgetrain {
namespace {

template <class A>
constexpr bool has_bwd_weights = requires(const A& a, const OpDesc& p, const KernelArgs& args) {
  ref::bwd_weights(a, p, args);
};

// The reference functions see only the operation (OpDesc): they run plain layouts, no fused activation.
template <class A>
LoopFunctions<A, OpDesc> ref_functions() {
  LoopFunctions<A, OpDesc> f;
  f.fwd = &ref::fwd;
  f.bwd_data = &ref::bwd_data;
  if constexpr (has_bwd_weights<A>) f.bwd_weights = &ref::bwd_weights;
  f.scratch_bytes = &ref::scratch_bytes;
  return f;
}

}  // namespace

std::unique_ptr<Kernel> make_ref_kernel(const KernelProblem& problem, std::string& why_not) {
  if (problem.dtype != DType::f32 && problem.dtype != DType::f64) {
    why_not = fmt::format("element type {} is not f32/f64", dtype_info(problem.dtype).name);
    return nullptr;
  }
  if (!problem.all_plain()) {
    why_not = "the reference kernels run on the plain (NCHW) layout only";
    return nullptr;
  }
  if (problem.fused_activation != Activation::none) {
    why_not = "the reference kernels fuse no activation";
    return nullptr;
  }
  return std::visit(
      [&]<class A>(const A&) -> std::unique_ptr<Kernel> {
        if constexpr (!has_bwd_weights<A>) {
          if (problem.pass == Pass::bwd_weights) {
            why_not = "op has no parameters";
            return nullptr;
          }
        }
        return std::make_unique<LoopKernel<A, OpDesc>>(ref_functions<A>(), LoopKernelFacts{}, problem);
      },
      problem.attrs);
}

}  // namespace edgetrain
