// MaxPool2d, AvgPool2d and GlobalAvgPool on oneDNN pooling, on NCHW or nChw16c (input and output alike).
//
// Right padding is explicit: the smallest pad_r >= 0 that gives the op's output size
// ((OH - 1) * stride + kernel - H - pad_l, floored at 0; ceil_mode makes it exceed pad_l).
// count_include_pad maps to pooling_avg_include_padding, which always divides by KH * KW; the reference
// clips a window to [-pad, H + pad), so an include-padding window that overhangs H + pad (ceil_mode) is
// declined.
//
// Max pooling in training keeps oneDNN's workspace in aux[0] (the i32 [dst] buffer): its content is then
// this backend's, so fwd and bwd accept or decline with the same predicate (fwd and bwd descriptors both
// build and the workspace fits), and a node's two passes always come from the same implementation.
#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

using prop = dnnl::prop_kind;

struct Pool {
  dnnl::algorithm alg;
  memory::dims kernel, strides, pad_l, pad_r;
};

int64_t right_pad(int64_t in, int64_t out, int k, int s, int pad_l) {
  return std::max<int64_t>(0, (out - 1) * s + k - in - pad_l);
}

Pool pool_of(dnnl::algorithm alg, int kh, int kw, int sh, int sw, int ph, int pw, const KernelProblem& p) {
  return {alg,
          {kh, kw},
          {sh, sw},
          {ph, pw},
          {right_pad(p.src[0][2], p.dst[2], kh, sh, ph), right_pad(p.src[0][3], p.dst[3], kw, sw, pw)}};
}

memory::desc src_md(const KernelProblem& p) { return data_md(p.src[0], p.src_layout_of(0), p.dtype); }
// A 1x1 output (global pooling) may be given in either layout: oneDNN computes it in the input's, and
// it is the same bytes unless blocked16 pads its channels; then it is reordered through scratch (a
// padded blocked feature map into a plain [N, C, 1, 1] before a Flatten).
bool one_by_one_output(const KernelProblem& p) { return p.dst.numel_from(2) == 1; }
memory::desc dst_md(const KernelProblem& p) {
  return data_md(p.dst, one_by_one_output(p) ? p.src_layout_of(0) : p.dst_layout, p.dtype);
}
memory::desc user_dst_md(const KernelProblem& p) {
  const bool same_bytes = one_by_one_output(p) && !padded(p.dst, Layout::blocked16);
  return data_md(p.dst, same_bytes ? p.src_layout_of(0) : p.dst_layout, p.dtype);
}

dnnl::pooling_forward::primitive_desc fwd_pd(const Pool& pl, const KernelProblem& p, bool training) {
  dnnl::pooling_forward::desc d(training ? prop::forward_training : prop::forward_inference, pl.alg, src_md(p),
                                dst_md(p), pl.strides, pl.kernel, pl.pad_l, pl.pad_r);
  return {d, user_scratchpad(), cpu_engine()};
}

dnnl::pooling_backward::primitive_desc bwd_pd(const Pool& pl, const KernelProblem& p,
                                              const dnnl::pooling_forward::primitive_desc& hint) {
  dnnl::pooling_backward::desc d(pl.alg, src_md(p), dst_md(p), pl.strides, pl.kernel, pl.pad_l, pl.pad_r);
  return {d, user_scratchpad(), cpu_engine(), hint};
}

bool is_max(const Pool& pl) { return pl.alg == dnnl::algorithm::pooling_max; }

class PoolFwd final : public ProgramKernel {
 public:
  PoolFwd(const Pool& pl, const KernelProblem& p) {
    const bool ws = is_max(pl) && p.training;
    auto pd = fwd_pd(pl, p, ws);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, prog_.user(src_md(p), Slot::src, 0)},
                                             {DNNL_ARG_DST, prog_.reorder_out(prog_.user(user_dst_md(p), Slot::dst), dst_md(p))}};
    if (ws) args.emplace_back(DNNL_ARG_WORKSPACE, prog_.user(pd.workspace_desc(), Slot::aux, 0));
    prog_.add(dnnl::pooling_forward(pd), pd, std::move(args));
  }
  void execute(const KernelArgs& args) const override { prog_.bind_and_run(args); }
};

class PoolBwd final : public ProgramKernel {
 public:
  PoolBwd(const Pool& pl, const KernelProblem& p) {
    auto hint = fwd_pd(pl, p, true);
    auto pd = bwd_pd(pl, p, hint);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_DIFF_DST, prog_.reorder_in(prog_.user(user_dst_md(p), Slot::diff_dst), dst_md(p))},
                                             {DNNL_ARG_DIFF_SRC, prog_.user(src_md(p), Slot::diff_src, 0)}};
    if (is_max(pl)) args.emplace_back(DNNL_ARG_WORKSPACE, prog_.user(hint.workspace_desc(), Slot::aux, 0));
    prog_.add(dnnl::pooling_backward(pd), pd, std::move(args));
  }
  void execute(const KernelArgs& args) const override {
    if (args.diff_src.empty() || !args.diff_src[0]) return;
    prog_.bind_and_run(args);
  }
};

bool check_input(const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1 || p.src[0].rank() != 4) {
    why_not = "pooling expects one 4-D input";
    return false;
  }
  if (p.src_layout_of(0) != p.dst_layout && !one_by_one_output(p)) {
    why_not = "pooling input and output in different layouts";
    return false;
  }
  return true;
}

std::unique_ptr<ProgramKernel> make(const Pool& pl, const KernelProblem& p) {
  if (p.pass == Pass::fwd) return std::make_unique<PoolFwd>(pl, p);
  return std::make_unique<PoolBwd>(pl, p);
}

}  // namespace

std::unique_ptr<ProgramKernel> make_max_pool(const MaxPoolAttrs& a, const KernelProblem& p, std::string& why_not) {
  if (!check_input(p, why_not)) return nullptr;
  const Pool pl =
      pool_of(dnnl::algorithm::pooling_max, a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w, p);
  // The one predicate for fwd and bwd of a training node: both descriptors build (a dnnl::error here
  // declines both passes alike) and the workspace fits in the i32 indices buffer.
  if (p.training || p.pass != Pass::fwd) {
    auto hint = fwd_pd(pl, p, true);
    (void)bwd_pd(pl, p, hint);
    const std::size_t aux_bytes = static_cast<std::size_t>(p.dst.numel()) * sizeof(int32_t);
    if (hint.workspace_desc().get_size() > aux_bytes) {
      why_not = fmt::format("oneDNN's max-pool workspace ({} bytes) does not fit the indices buffer ({} bytes)",
                            hint.workspace_desc().get_size(), aux_bytes);
      return nullptr;
    }
  }
  return make(pl, p);
}

std::unique_ptr<ProgramKernel> make_avg_pool(const AvgPoolAttrs& a, const KernelProblem& p, std::string& why_not) {
  if (!check_input(p, why_not)) return nullptr;
  const Pool pl = pool_of(
      a.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding,
      a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w, p);
  if (a.count_include_pad && (pl.pad_r[0] > a.pad_h || pl.pad_r[1] > a.pad_w)) {
    why_not = "count_include_pad with a ceil_mode window past the padding (oneDNN divides by the full kernel)";
    return nullptr;
  }
  return make(pl, p);
}

std::unique_ptr<ProgramKernel> make_global_avg_pool(const KernelProblem& p, std::string& why_not) {
  if (!check_input(p, why_not)) return nullptr;
  const int kh = static_cast<int>(p.src[0][2]), kw = static_cast<int>(p.src[0][3]);
  return make(pool_of(dnnl::algorithm::pooling_avg_exclude_padding, kh, kw, 1, 1, 0, 0, p), p);
}

}  // namespace edgetrain::onednn
