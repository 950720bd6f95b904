// ReLU and ReLU6 on oneDNN eltwise over the flat tensor (so on either layout, see core/layout.hpp). Backward reads dst only:
// eltwise_relu_use_dst_for_bwd (alpha 0) and eltwise_clip_v2_use_dst_for_bwd (alpha 0, beta 6), whose
// gradients are dy where dst > 0 (ReLU) and where 0 < dst < 6 (ReLU6), as the reference.
#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

using prop = dnnl::prop_kind;

struct Alg {
  dnnl::algorithm alg;
  float alpha, beta;
};
Alg alg_of(bool relu6) {
  return relu6 ? Alg{dnnl::algorithm::eltwise_clip_v2_use_dst_for_bwd, 0.f, 6.f}
               : Alg{dnnl::algorithm::eltwise_relu_use_dst_for_bwd, 0.f, 0.f};
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
    dnnl::eltwise_backward::desc d(e.alg, md, md, e.alpha, e.beta);
    dnnl::eltwise_backward::primitive_desc pd(d, user_scratchpad(), cpu_engine(), hint);
    prog_.add(dnnl::eltwise_backward(pd), pd,
              {{DNNL_ARG_DST, prog_.user(md, Slot::dst)},
               {DNNL_ARG_DIFF_DST, prog_.user(md, Slot::diff_dst)},
               {DNNL_ARG_DIFF_SRC, prog_.user(md, Slot::diff_src, 0)}});
  }
  void execute(const KernelArgs& args) const override {
    if (args.diff_src.empty() || !args.diff_src[0]) return;
    prog_.bind_and_run(args);
  }
};

}  // namespace

std::unique_ptr<ProgramKernel> make_eltwise(bool relu6, const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1) {
    why_not = "eltwise expects one input";
    return nullptr;
  }
  if (p.src_layout_of(0) != p.dst_layout) {  // flat: any one layout
    why_not = "eltwise input and output in different layouts";
    return nullptr;
  }
  const memory::desc md = flat_md(p.dst.numel());
  if (p.pass == Pass::fwd) return std::make_unique<EltwiseFwd>(alg_of(relu6), md);
  return std::make_unique<EltwiseBwd>(alg_of(relu6), md);
}

}  // namespace edgetrain::onednn
