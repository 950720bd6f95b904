// The registry row "onednn": checks the element type, dispatches on the op, turns oneDNN's refusals
// (dnnl::error from a primitive descriptor) into decline reasons, and logs the chosen oneDNN
// implementation under EDGETRAIN_VERBOSE >= 2.
#include <cstdio>

#include "core/log.hpp"
#include "kernels/onednn/onednn_kernels.hpp"
#include "kernels/onednn/ops.hpp"

namespace edgetrain {

std::unique_ptr<Kernel> make_onednn_kernel(const KernelProblem& p, std::string& why_not) {
  using namespace onednn;
  if (p.dtype != DType::f32 && p.dtype != DType::bf16) {
    why_not = fmt::format("oneDNN backend runs f32 and bf16 only (element type {})", dtype_info(p.dtype).name);
    return nullptr;
  }
  if (p.fused_activation != Activation::none && !is<BatchNormAttrs>(p.attrs) && !is<Conv2dAttrs>(p.attrs)) {
    why_not = fmt::format("no fused activation for {} in this backend", op_name(p.attrs));
    return nullptr;
  }
  bool blocked_weights = false;
  for (const ParamLayout& l : p.weight_layouts) blocked_weights = blocked_weights || !l.plain();
  if (blocked_weights && !is<Conv2dAttrs>(p.attrs)) {
    why_not = fmt::format("{} takes its parameters row-major only", op_name(p.attrs));
    return nullptr;
  }
  std::unique_ptr<ProgramKernel> k;
  try {
    k = std::visit(
        [&]<class A>(const A& a) -> std::unique_ptr<ProgramKernel> {
          const bool has_params =
              std::is_same_v<A, Conv2dAttrs> || std::is_same_v<A, BatchNormAttrs> || std::is_same_v<A, LinearAttrs>;
          if (p.pass == Pass::bwd_weights && !has_params) {
            why_not = "op has no parameters";
            return nullptr;
          }
          if constexpr (std::is_same_v<A, Conv2dAttrs>)
            return make_conv2d(a, p, why_not);
          else if constexpr (std::is_same_v<A, BatchNormAttrs>)
            return make_batch_norm(a, p, why_not);
          else if constexpr (std::is_same_v<A, ReluAttrs>)
            return make_relu(false, p, why_not);
          else if constexpr (std::is_same_v<A, Relu6Attrs>)
            return make_relu(true, p, why_not);
          else if constexpr (std::is_same_v<A, PointwiseAttrs>)
            return make_pointwise(a, p, why_not);
          else if constexpr (std::is_same_v<A, MaxPoolAttrs>)
            return make_max_pool(a, p, why_not);
          else if constexpr (std::is_same_v<A, AvgPoolAttrs>)
            return make_avg_pool(a, p, why_not);
          else if constexpr (std::is_same_v<A, GlobalAvgPoolAttrs>)
            return make_global_avg_pool(p, why_not);
          else if constexpr (std::is_same_v<A, LinearAttrs>)
            return make_linear(a, p, why_not);
          else if constexpr (std::is_same_v<A, AddAttrs>)
            return make_add(p, why_not);
          else if constexpr (std::is_same_v<A, ConcatAttrs>)
            return make_concat(p, why_not);
          else {
            why_not = fmt::format("no oneDNN primitive for {}", op_name(p.attrs));
            return nullptr;
          }
        },
        p.attrs);
  } catch (const dnnl::error& e) {
    why_not = fmt::format("oneDNN refused the problem: {}", e.what());
    return nullptr;
  }
  if (k && verbose_level() >= 2) {
    const std::string_view op = op_name(p.attrs), pass = pass_name(p.pass);
    std::fprintf(stderr, "onednn,%.*s,%.*s,impl=%s,reorders=%d,scratch=%zu\n", static_cast<int>(op.size()), op.data(),
                 static_cast<int>(pass.size()), pass.data(), k->program().impl_info().c_str(), k->reorders(),
                 k->scratch_bytes());
  }
  return k;
}

}  // namespace edgetrain
