// Element-wise activations on oneDNN eltwise over the flat tensor (so on either layout, see
// core/layout.hpp): ReLU, ReLU6 and the Pointwise functions oneDNN has (LeakyReLU, Sigmoid, SiLU,
// HardSwish with PyTorch's constants). Backward reads dst where the function's output decides the
// gradient (ReLU, ReLU6: eltwise_*_use_dst_for_bwd, gradients dy where dst > 0 / 0 < dst < 6; Sigmoid:
// dy y (1 - y)), else src (LeakyReLU, SiLU, HardSwish), as the reference kernels and op_defs' reads.
// HardSigmoid (oneDNN 2.6 has no alpha/beta form) and Scale (no arithmetic worth a primitive) are
// left to the reference.
#include <cmath>
#include <optional>

#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

using prop = dnnl::prop_kind;

struct Alg {
  dnnl::algorithm alg;
  float alpha = 0.f, beta = 0.f;
  bool bwd_reads_dst = false;
};
Alg relu_alg(bool relu6) {
  return relu6 ? Alg{dnnl::algorithm::eltwise_clip_v2_use_dst_for_bwd, 0.f, 6.f, true}
               : Alg{dnnl::algorithm::eltwise_relu_use_dst_for_bwd, 0.f, 0.f, true};
}

// oneDNN's form of the function, or nullopt with the reason.
std::optional<Alg> pointwise_alg(const PointwiseAttrs& a, std::string& why_not) {
  using dnnl::algorithm;
  switch (a.fn) {
    case PointwiseFn::leaky_relu: return Alg{algorithm::eltwise_relu, static_cast<float>(a.alpha), 0.f, false};
    case PointwiseFn::sigmoid: return Alg{algorithm::eltwise_logistic_use_dst_for_bwd, 0.f, 0.f, true};
    case PointwiseFn::silu: return Alg{algorithm::eltwise_swish, 1.f, 0.f, false};
    case PointwiseFn::hard_swish:
      // oneDNN 2.6's hardswish is x * relu6(x + 3) / 6: PyTorch's, alpha 1/6 and beta 1/2.
      if (std::abs(a.alpha - 1.0 / 6.0) < 1e-7 && std::abs(a.beta - 0.5) < 1e-7)
        return Alg{algorithm::eltwise_hardswish, 0.f, 0.f, false};
      why_not = "oneDNN's HardSwish has no alpha/beta other than 1/6, 1/2";
      return std::nullopt;
    case PointwiseFn::hard_sigmoid: why_not = "oneDNN 2.6 has no HardSigmoid"; return std::nullopt;
    case PointwiseFn::scale: why_not = "a scale is left to the reference loop"; return std::nullopt;
  }
  why_not = "unknown Pointwise function";
  return std::nullopt;
}

dnnl::eltwise_forward::primitive_desc fwd_pd(const Alg& e, const memory::desc& md) {
  dnnl::eltwise_forward::desc d(prop::forward_training, e.alg, md, e.alpha, e.beta);
  return {d, user_scratchpad(), cpu_engine()};
}

class EltwiseFwd final : public ProgramKernel {
 public:
  EltwiseFwd(const Alg& e, const memory::desc& md) {
    auto pd = fwd_pd(e, md);
    prog_.add(dnnl::eltwise_forward(pd), pd,
              {{DNNL_ARG_SRC, prog_.user(md, Slot::src, 0)}, {DNNL_ARG_DST, prog_.user(md, Slot::dst)}});
  }
  void execute(const KernelArgs& args) const override { prog_.bind_and_run(args); }
};

class EltwiseBwd final : public ProgramKernel {
 public:
  EltwiseBwd(const Alg& e, const memory::desc& md) {
    auto hint = fwd_pd(e, md);
    dnnl::eltwise_backward::desc d(e.alg, md, md, e.alpha, e.beta);  // diff and data: the same flat md
    dnnl::eltwise_backward::primitive_desc pd(d, user_scratchpad(), cpu_engine(), hint);
    prog_.add(dnnl::eltwise_backward(pd), pd,
              {e.bwd_reads_dst ? std::pair{DNNL_ARG_DST, prog_.user(md, Slot::dst)}
                               : std::pair{DNNL_ARG_SRC, prog_.user(md, Slot::src, 0)},
               {DNNL_ARG_DIFF_DST, prog_.user(md, Slot::diff_dst)},
               {DNNL_ARG_DIFF_SRC, prog_.user(md, Slot::diff_src, 0)}});
  }
  void execute(const KernelArgs& args) const override {
    if (args.diff_src.empty() || !args.diff_src[0]) return;
    prog_.bind_and_run(args);
  }
};

std::unique_ptr<ProgramKernel> make_eltwise(const Alg& e, const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1) {
    why_not = "eltwise expects one input";
    return nullptr;
  }
  if (p.src_layout_of(0) != p.dst_layout) {  // flat: any one layout
    why_not = "eltwise input and output in different layouts";
    return nullptr;
  }
  const memory::desc md = flat_md(p.dst_storage_numel(), p.dtype);  // padding lanes too
  if (p.pass == Pass::fwd) return std::make_unique<EltwiseFwd>(e, md);
  return std::make_unique<EltwiseBwd>(e, md);
}

}  // namespace

std::unique_ptr<ProgramKernel> make_relu(bool relu6, const KernelProblem& p, std::string& why_not) {
  return make_eltwise(relu_alg(relu6), p, why_not);
}

std::unique_ptr<ProgramKernel> make_pointwise(const PointwiseAttrs& a, const KernelProblem& p, std::string& why_not) {
  const std::optional<Alg> e = pointwise_alg(a, why_not);
  return e ? make_eltwise(*e, p, why_not) : nullptr;
}

}  // namespace edgetrain::onednn
