// Conv2d on oneDNN: convolution_forward (with bias), convolution_backward_data,
// convolution_backward_weights (with the bias gradient), grouped and depthwise through 5-D weights
// [G, OC/G, IC/G, KH, KW] (the same bytes as the row-major [OC, IC/G, KH, KW]); oneDNN dilation = d - 1.
// Direct algorithm, or Winograd where it pays (see wants_winograd).
//
// Layouts: an activation the problem gives in blocked16 is handed to oneDNN as it is. A plain one,
// is described with format_tag::any and the kernel reorders the
// row-major view into oneDNN's choice (and an output back) through scratch; reorders() counts them, as
// it counts the weight reorders. Weights (and their gradients) are in the problem's weight layout: row-major
// or the blocked layout compile() adopted from preferred_weight_layout(), the forward's choice, which
// the forward then takes without a reorder (bwd_weights usually too; bwd_data wants another). Measured at batch 8 on 2
// threads this is 1.4-2.3x faster than oneDNN on the plain layouts (which runs im2col + GEMM) and 5x on depthwise,
// reorders included (CompileOptions::blocked_layouts = false keeps activations plain between steps; the kernel still
// picks its own layout inside). A frozen weight gradient with a trainable bias (bias-only training) sums diff_dst
// directly; a frozen bias gradient next to a trainable weight is written to scratch.
// bf16: activations and their gradients are bf16; the f32 weights are reordered into a bf16 copy for fwd
// and bwd_data, and the weight and bias gradients come out f32. Only problems oneDNN runs as given
// (JIT kernels) are taken: the packed, padded and edgetrain depthwise variants are f32.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/bf16.hpp"
#include "kernels/native/activation_mask.hpp"
#include "kernels/native/depthwise_wgrad.hpp"
#include "kernels/onednn/channel_padding.hpp"
#include "kernels/onednn/group_packing.hpp"
#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {

namespace {

using native::mask_gradient;
namespace depthwise_wgrad = native::depthwise_wgrad;

using prop = dnnl::prop_kind;
using alg = dnnl::algorithm;

// How a problem is computed: in the layouts it comes in; on plain layouts whatever they are (oneDNN's
// GEMM-based convolution, a blocked side reordered through scratch: the retry when oneDNN has only its
// naive kernel for the problem); with narrow groups packed into 16-channel ones (group_packing.hpp); or
// with the input channels padded to a multiple of 16 (channel_padding.hpp).
enum class Compute { as_given, plain, packed_groups, padded_inputs };

struct Geometry {
  memory::dims src, weights, bias, dst, strides, dilates, pad_l, pad_r;
  DType dtype = DType::f32;  // of the activations and their gradients (and of the weights oneDNN computes with)
  Layout src_layout = Layout::plain, dst_layout = Layout::plain;
  ParamLayout weight_layout;
  bool winograd = true;  // the problem allows Winograd
  bool plain_compute = false;
  group_packing::Packing packing{};  // k > 1: `weights` are the packed filter's dims, kept in scratch
  // > 0: the user's input channels; `src` and `weights` have them padded, src as nChw16c: the user's own
  // tensor where it is blocked (its padding lanes), else a copy in scratch (src_copied)
  int64_t real_ic = 0;
  bool src_copied = false;
  std::vector<int64_t> user_filter_offsets;  // padded inputs, blocked user weights: each element's offset
  memory::desc user_src() const { return data_md(Shape(src), src_layout, dtype); }
  memory::desc user_dst() const { return data_md(Shape(dst), dst_layout, dtype); }
  memory::desc user_weights() const { return param_md(weights, weight_layout); }
  bool packed() const { return packing.k > 1; }
  bool padded_inputs() const { return real_ic > 0; }
  int64_t taps() const { return weights[weights.size() - 2] * weights.back(); }
  int64_t src_positions() const { return src[2] * src[3]; }
};

Geometry geometry(const Conv2dAttrs& a, const KernelProblem& p, Compute compute) {
  Geometry g;
  g.plain_compute = compute == Compute::plain;
  const int64_t C = p.src[0][1], OC = p.dst[1], G = a.groups;
  g.src = p.src[0].dims();
  g.dst = p.dst.dims();
  g.dtype = p.dtype;
  g.weights =
      G > 1 ? memory::dims{G, OC / G, C / G, a.kernel_h, a.kernel_w} : memory::dims{OC, C, a.kernel_h, a.kernel_w};
  g.bias = {OC};
  g.strides = {a.stride_h, a.stride_w};
  g.dilates = {a.dilation_h - 1, a.dilation_w - 1};
  g.pad_l = {a.pad_h, a.pad_w};
  g.pad_r = {a.pad_h, a.pad_w};  // the output size rounds down: symmetric padding is consistent
  g.src_layout = p.src_layout_of(0);
  g.dst_layout = p.dst_layout;
  g.weight_layout = p.weight_layout_of(0);
  g.winograd = p.winograd;
  if (compute == Compute::packed_groups) {
    g.packing = group_packing::packing_for(C, OC, G, a.kernel_h * a.kernel_w);
    const group_packing::Packing& pk = g.packing;
    g.weights = {pk.packed_groups(), pk.packed_width(), pk.packed_width(), a.kernel_h, a.kernel_w};
  }
  if (compute == Compute::padded_inputs) {
    g.real_ic = C;
    g.src_copied = g.src_layout == Layout::plain;
    g.src[1] = blocked_channels(C);
    g.src_layout = Layout::blocked16;
    g.weights = {OC, g.src[1], a.kernel_h, a.kernel_w};
    if (!g.weight_layout.plain()) g.user_filter_offsets = g.weight_layout.offsets();
  }
  return g;
}

// Winograd F(4x4, 3x3) (oneDNN's jit_wino_4x3: 36 multiplies per 4x4 output tile and channel pair
// instead of 144, plus the tile transforms; blocked layouts only; slightly larger rounding error) for 3x3,
// stride-1, undilated, ungrouped convolutions whose output is at least 14x14 and whose channels are
// multiples of 16: measured at batch 8 on 2 threads it runs ResNet-18's 56² and 28² layers 1.7-1.9x
// faster than the direct JIT in all three passes and its 14² layers 1.2-1.5x, but its 7² layers
// 1.3-1.5x slower (4x4 output tiles on 7x7 waste half their work); a first layer (1 or 3 input
// channels, padded to 16) runs 4-11x slower (fmnist-cnn's 1->32 at 28², batch 64), and 16 -> 16 channels
// (ResNet-20's first stage, 28², batch 64) 1.3-1.5x slower in fwd and bwd_data: at least 32 channels
// on both sides. Where oneDNN has
// no Winograd kernel for a shape (no AVX-512) or layouts are forced plain, the direct algorithm is
// used. Its tile buffers come from the user scratchpad, so the memory plan counts them (+23 MB at
// ResNet-18 224² b8 and b32). A fused ReLU stays an eltwise post-op; oneDNN's Winograd takes no clip
// post-op, so a convolution with a fused ReLU6 runs direct.
// KernelProblem::winograd = false (CompileOptions::winograd, EDGETRAIN_WINOGRAD=0) turns it off.
bool wants_winograd(const Conv2dAttrs& a, const Geometry& g, bool any) {
  return any && g.winograd && !g.plain_compute && a.kernel_h == 3 && a.kernel_w == 3 && a.stride_h == 1 &&
         a.stride_w == 1 && a.dilation_h == 1 && a.dilation_w == 1 && a.groups == 1 && g.src[1] % 16 == 0 &&
         g.dst[1] % 16 == 0 && g.src[1] >= 32 && g.dst[1] >= 32 && g.dst[2] >= 14 && g.dst[3] >= 14;
}

// make(algorithm) -> primitive descriptor, with Winograd first when wanted and oneDNN has it.
template <class MakePd>
auto with_algorithm(bool winograd, MakePd make) {
  if (winograd) {
    try {
      return make(alg::convolution_winograd);
    } catch (const dnnl::error&) {
    }
  }
  return make(alg::convolution_direct);
}

memory::desc md(const memory::dims& d, bool any, DType t) {
  return any ? memory::desc(d, onednn_type(t), tag::any) : plain_md(d, t);
}
// An activation (or its gradient): a blocked one is given to oneDNN as it is (no reorder); a plain one
// lets oneDNN choose (`any`) and is reordered through scratch.
memory::desc act_md(const memory::dims& d, Layout l, bool any, DType t) {
  return l == Layout::plain ? md(d, any, t) : data_md(Shape(d), l, t);
}
memory::desc src_md(const Geometry& g, bool any) {
  return g.plain_compute ? plain_md(g.src, g.dtype) : act_md(g.src, g.src_layout, any, g.dtype);
}
memory::desc dst_md(const Geometry& g, bool any) {
  return g.plain_compute ? plain_md(g.dst, g.dtype) : act_md(g.dst, g.dst_layout, any, g.dtype);
}
// The filter oneDNN computes with (the activations' type) and the gradient it writes (f32).
memory::desc weights_md(const Geometry& g, bool any) { return md(g.weights, any, g.dtype); }
memory::desc diff_weights_md(const Geometry& g, bool any) { return md(g.weights, any, DType::f32); }

// The forward's attributes: user scratchpad, and a fused ReLU / ReLU6 as an eltwise post-op.
dnnl::primitive_attr fwd_attr(Activation act) {
  dnnl::primitive_attr attr = user_scratchpad();
  if (act == Activation::none) return attr;
  dnnl::post_ops ops;
  if (act == Activation::relu)
    ops.append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f);
  else
    ops.append_eltwise(1.f, alg::eltwise_clip_v2, 0.f, 6.f);
  attr.set_post_ops(ops);
  return attr;
}

dnnl::convolution_forward::primitive_desc fwd_pd(const Conv2dAttrs& a, const Geometry& g, bool any,
                                                 Activation act = Activation::none) {
  return with_algorithm(wants_winograd(a, g, any), [&](alg al) {
    const auto d =
        a.bias
            ? dnnl::convolution_forward::desc(prop::forward_training, al, src_md(g, any), weights_md(g, any),
                                              plain_md(g.bias), dst_md(g, any), g.strides, g.dilates, g.pad_l, g.pad_r)
            : dnnl::convolution_forward::desc(prop::forward_training, al, src_md(g, any), weights_md(g, any),
                                              dst_md(g, any), g.strides, g.dilates, g.pad_l, g.pad_r);
    return dnnl::convolution_forward::primitive_desc(d, fwd_attr(act), cpu_engine());
  });
}

// With a fused activation the backward passes first turn diff_dst (the gradient of the activation's
// output, dst) into the convolution output's gradient, in place. Both passes do it: whichever runs
// first changes it, the second finds nothing left to mask (the mask is idempotent).
// `stored`: the elements diff_dst stores (padding lanes included).
void mask_diff_dst(const KernelArgs& args, Activation act, int64_t stored) {
  if (act != Activation::none && args.diff_dst) mask_gradient(args.diff_dst, args.dst, stored, act);
}

// The filter the primitive reads or writes: the user's weights (or their gradient), or the packed or
// padded filter in scratch (`filter` is set to it).
memory filter_memory(Program& prog, const Geometry& g, Slot slot, memory& filter) {
  if (!g.packed() && !g.padded_inputs()) return prog.user(g.user_weights(), slot, 0);
  filter = prog.scratch(plain_md(g.weights));
  return filter;
}

// The input (or its gradient): the user's, or its channel-padded copy in scratch (`copy` is set to it).
memory input_memory(Program& prog, const Geometry& g, Slot slot, memory& copy) {
  if (!g.src_copied) return prog.user(g.user_src(), slot, 0);
  copy = prog.scratch(g.user_src());
  return copy;
}

// Before fwd / bwd_data: the weights packed or padded into the scratch filter (no-op without).
void fill_filter(const Program& prog, const Geometry& g, const memory& filter, const KernelArgs& args) {
  const float* w = args.weights[0].as<float>();
  if (g.packed()) group_packing::pack(w, g.packing, static_cast<float*>(prog.scratch_ptr(args, filter)));
  if (g.padded_inputs())
    channel_padding::pad_filter_inputs(w, g.user_filter_offsets.empty() ? nullptr : g.user_filter_offsets.data(),
                                       g.dst[1], g.real_ic, g.taps(),
                                       static_cast<float*>(prog.scratch_ptr(args, filter)));
}

// Before fwd / bwd_weights: the input copied with its channels padded (no-op without).
void fill_input(const Program& prog, const Geometry& g, const memory& copy, const KernelArgs& args) {
  if (g.src_copied)
    channel_padding::to_padded_blocked(args.src[0].as<float>(), g.src[0], g.real_ic, g.src_positions(),
                                       static_cast<float*>(prog.scratch_ptr(args, copy)));
}

class ConvFwd final : public ProgramKernel {
 public:
  ConvFwd(const Conv2dAttrs& a, const KernelProblem& p, bool any, Compute compute) : g_(geometry(a, p, compute)) {
    const Geometry& g = g_;
    auto pd = fwd_pd(a, g, any, p.fused_activation);
    std::vector<std::pair<int, memory>> args{
        {DNNL_ARG_SRC, prog_.reorder_in(input_memory(prog_, g, Slot::src, input_), pd.src_desc())},
        {DNNL_ARG_WEIGHTS, prog_.reorder_in(filter_memory(prog_, g, Slot::weights, filter_), pd.weights_desc())},
        {DNNL_ARG_DST, prog_.reorder_out(prog_.user(g.user_dst(), Slot::dst), pd.dst_desc())}};
    if (a.bias) args.emplace_back(DNNL_ARG_BIAS, prog_.user(plain_md(g.bias), Slot::weights, 1));
    prog_.add(dnnl::convolution_forward(pd), pd, std::move(args));
    if (!g.packed() && !g.padded_inputs()) preferred_ = param_layout_of(pd.weights_desc());
  }
  void execute(const KernelArgs& args) const override {
    fill_filter(prog_, g_, filter_, args);
    fill_input(prog_, g_, input_, args);
    prog_.bind_and_run(args);
  }
  ParamLayout preferred_weight_layout(size_t i) const override { return i == 0 ? preferred_ : ParamLayout{}; }

 private:
  Geometry g_;
  memory filter_, input_;
  ParamLayout preferred_;
};

class ConvBwdData final : public ProgramKernel {
 public:
  ConvBwdData(const Conv2dAttrs& a, const KernelProblem& p, bool any, Compute compute)
      : g_(geometry(a, p, compute)), act_(p.fused_activation), dst_stored_(p.dst_storage_numel()) {
    const Geometry& g = g_;
    auto hint = fwd_pd(a, g, any);
    const auto pd = with_algorithm(wants_winograd(a, g, any), [&](alg al) {
      dnnl::convolution_backward_data::desc d(al, src_md(g, any), weights_md(g, any), dst_md(g, any), g.strides,
                                              g.dilates, g.pad_l, g.pad_r);
      return dnnl::convolution_backward_data::primitive_desc(d, user_scratchpad(), cpu_engine(), hint);
    });
    prog_.add(
        dnnl::convolution_backward_data(pd), pd,
        {{DNNL_ARG_DIFF_DST, prog_.reorder_in(prog_.user(g.user_dst(), Slot::diff_dst), pd.diff_dst_desc())},
         {DNNL_ARG_WEIGHTS, prog_.reorder_in(filter_memory(prog_, g, Slot::weights, filter_), pd.weights_desc())},
         {DNNL_ARG_DIFF_SRC, prog_.reorder_out(input_memory(prog_, g, Slot::diff_src, input_), pd.diff_src_desc())}});
  }
  void execute(const KernelArgs& args) const override {
    mask_diff_dst(args, act_, dst_stored_);
    if (args.diff_src.empty() || !args.diff_src[0]) return;
    fill_filter(prog_, g_, filter_, args);
    prog_.bind_and_run(args);
    if (g_.src_copied)  // the real channels of the padded input gradient
      channel_padding::from_padded_blocked(static_cast<const float*>(prog_.scratch_ptr(args, input_)), g_.src[0],
                                           g_.real_ic, g_.src_positions(), args.diff_src[0].as<float>());
  }

 private:
  Geometry g_;
  memory filter_, input_;
  Activation act_;
  int64_t dst_stored_;
};

inline float value_of(float v) { return v; }
inline float value_of(bf16 v) { return to_float(v); }

// db[oc] = sum over images and positions of dy [N, OC, P] (plain) — a bias gradient without a weight
// gradient (bias-only training), or beside edgetrain's own depthwise weight gradient.
template <class T>
void bias_grad_plain(const T* dy, int64_t N, int64_t OC, int64_t P, float* db) {
#pragma omp parallel for if (N * OC * P > (1 << 15)) schedule(static)
  for (int64_t oc = 0; oc < OC; ++oc) {
    double acc = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* r = dy + (n * OC + oc) * P;
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < P; ++i) s += value_of(r[i]);
      acc += s;
    }
    db[oc] = static_cast<float>(acc);
  }
}

// The same on nChw16c: 16 channels summed side by side (the padding lanes of a last, partial block
// are summed and dropped).
template <class T>
void bias_grad_blocked(const T* dy, int64_t N, int64_t OC, int64_t P, float* db) {
  constexpr int64_t B = kChannelBlock;
  const int64_t blocks = blocked_channels(OC) / B;
#pragma omp parallel for if (N * OC * P > (1 << 15)) schedule(static)
  for (int64_t cb = 0; cb < blocks; ++cb) {
    double acc[B] = {};
    for (int64_t n = 0; n < N; ++n) {
      const T* r = dy + (n * blocks + cb) * P * B;
      float s[B] = {};
      for (int64_t i = 0; i < P; ++i)
#pragma omp simd
        for (int64_t j = 0; j < B; ++j) s[j] += value_of(r[i * B + j]);
      for (int64_t j = 0; j < B; ++j) acc[j] += s[j];
    }
    for (int64_t j = 0; j < std::min(B, OC - cb * B); ++j) db[cb * B + j] = static_cast<float>(acc[j]);
  }
}

template <class T>
void bias_grad(const T* dy, Layout layout, int64_t N, int64_t OC, int64_t P, float* db) {
  if (layout == Layout::blocked16) return bias_grad_blocked(dy, N, OC, P, db);
  bias_grad_plain(dy, N, OC, P, db);
}
void bias_grad(const TensorView& dy, Layout layout, int64_t N, int64_t OC, int64_t P, float* db) {
  if (dy.dtype == DType::bf16) return bias_grad(dy.as<bf16>(), layout, N, OC, P, db);
  bias_grad(dy.as<float>(), layout, N, OC, P, db);
}

class ConvBwdWeights final : public ProgramKernel {
 public:
  ConvBwdWeights(const Conv2dAttrs& a, const KernelProblem& p, bool any, Compute compute)
      : g_(geometry(a, p, compute)),
        bias_(a.bias),
        dy_layout_(p.dst_layout),
        act_(p.fused_activation),
        dst_stored_(p.dst_storage_numel()) {
    const Geometry& g = g_;
    auto hint = fwd_pd(a, g, any);
    const auto pd = with_algorithm(wants_winograd(a, g, any), [&](alg al) {
      const auto d =
          a.bias
              ? dnnl::convolution_backward_weights::desc(al, src_md(g, any), diff_weights_md(g, any), plain_md(g.bias),
                                                         dst_md(g, any), g.strides, g.dilates, g.pad_l, g.pad_r)
              : dnnl::convolution_backward_weights::desc(al, src_md(g, any), diff_weights_md(g, any), dst_md(g, any),
                                                         g.strides, g.dilates, g.pad_l, g.pad_r);
      return dnnl::convolution_backward_weights::primitive_desc(d, user_scratchpad(), cpu_engine(), hint);
    });
    std::vector<std::pair<int, memory>> args{
        {DNNL_ARG_SRC, prog_.reorder_in(input_memory(prog_, g, Slot::src, input_), pd.src_desc())},
        {DNNL_ARG_DIFF_DST, prog_.reorder_in(prog_.user(g.user_dst(), Slot::diff_dst), pd.diff_dst_desc())},
        {DNNL_ARG_DIFF_WEIGHTS,
         prog_.reorder_out(filter_memory(prog_, g, Slot::diff_weights, filter_), pd.diff_weights_desc())}};
    if (a.bias)
      args.emplace_back(DNNL_ARG_DIFF_BIAS, prog_.user(plain_md(g.bias), Slot::diff_weights, 1, /*fallback=*/true));
    prog_.add(dnnl::convolution_backward_weights(pd), pd, std::move(args));
  }

  void execute(const KernelArgs& args) const override {
    const bool want_w = !args.diff_weights.empty() && args.diff_weights[0];
    const bool want_b = bias_ && args.diff_weights.size() > 1 && args.diff_weights[1];
    if (want_w || want_b) mask_diff_dst(args, act_, dst_stored_);
    if (want_w) {
      fill_input(prog_, g_, input_, args);
      prog_.bind_and_run(args);
      if (!filter_) return;
      const auto* filter = static_cast<const float*>(prog_.scratch_ptr(args, filter_));
      float* dw = args.diff_weights[0].as<float>();
      if (g_.packed()) group_packing::unpack(filter, g_.packing, dw);  // the diagonal blocks
      if (g_.padded_inputs())
        channel_padding::unpad_filter_inputs(filter,
                                             g_.user_filter_offsets.empty() ? nullptr : g_.user_filter_offsets.data(),
                                             g_.dst[1], g_.real_ic, g_.taps(), dw);
      return;
    }
    if (want_b)
      bias_grad(args.diff_dst, dy_layout_, g_.dst[0], g_.dst[1], g_.dst[2] * g_.dst[3],
                args.diff_weights[1].as<float>());
  }

 private:
  Geometry g_;
  memory filter_, input_;
  bool bias_;
  Layout dy_layout_;
  Activation act_;
  int64_t dst_stored_;
};

// A depthwise convolution's weight (and bias) gradient, computed by edgetrain on nChw16c
// (depthwise_wgrad.hpp) where oneDNN has no JIT kernel for it. An NCHW problem is first copied into
// scratch as nChw16c with its channels padded to 16 (x and dy: both tensors again, in the plan's
// scratch); the gradient is written row-major into scratch where the weight layout is blocked or padded.
class ConvDwBwdWeights final : public ProgramKernel {
 public:
  ConvDwBwdWeights(const Conv2dAttrs& a, const KernelProblem& p)
      : bias_(a.bias),
        act_(p.fused_activation),
        data_layout_(p.dst_layout),
        layout_(p.weight_layout_of(0)),
        dst_stored_(p.dst_storage_numel()) {
    const Shape& x = p.src[0];
    C_ = x[1];
    const int64_t padded = (C_ + kChannelBlock - 1) / kChannelBlock * kChannelBlock;
    g_ = {x[0],       padded,     x[2],       x[3],    p.dst[2], p.dst[3],     a.kernel_h,
          a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w,  a.dilation_h, a.dilation_w};
    if (data_layout_ == Layout::plain) {
      x_blocked_ = prog_.scratch(plain_md(memory::dims{g_.N * padded * g_.IH * g_.IW}));
      dy_blocked_ = prog_.scratch(plain_md(memory::dims{g_.N * padded * g_.OH * g_.OW}));
    }
    if (!layout_.plain() || padded != C_) rowmajor_ = prog_.scratch(plain_md(memory::dims{padded * g_.KH * g_.KW}));
    if (!layout_.plain()) offsets_ = layout_.offsets();
  }
  std::string_view detail() const override {
    return data_layout_ == Layout::blocked16 ? "edgetrain:dw_nChw16c" : "edgetrain:dw_nchw_padded";
  }
  Algorithm algorithm() const override { return Algorithm::direct; }

  void execute(const KernelArgs& args) const override {
    const bool want_w = !args.diff_weights.empty() && args.diff_weights[0];
    const bool want_b = bias_ && args.diff_weights.size() > 1 && args.diff_weights[1];
    if (want_w || want_b) mask_diff_dst(args, act_, dst_stored_);
    const float* x = args.src[0].as<float>();
    const float* dy = args.diff_dst.as<float>();
    if (want_b) bias_grad(dy, data_layout_, g_.N, C_, g_.OH * g_.OW, args.diff_weights[1].as<float>());
    if (!want_w) return;
    if (data_layout_ == Layout::plain) {
      auto* xb = static_cast<float*>(prog_.scratch_ptr(args, x_blocked_));
      auto* dyb = static_cast<float*>(prog_.scratch_ptr(args, dy_blocked_));
      channel_padding::to_padded_blocked(x, g_.N, C_, g_.IH * g_.IW, xb);
      channel_padding::to_padded_blocked(dy, g_.N, C_, g_.OH * g_.OW, dyb);
      x = xb, dy = dyb;
    }
    float* dw = args.diff_weights[0].as<float>();
    float* out = rowmajor_ ? static_cast<float*>(prog_.scratch_ptr(args, rowmajor_)) : dw;
    depthwise_wgrad::weight_grad_blocked(x, dy, g_, out);
    if (out == dw) return;
    const int64_t n = C_ * g_.KH * g_.KW;  // the real channels' filters, row-major first
    if (layout_.plain())
      std::memcpy(dw, out, static_cast<std::size_t>(n) * sizeof(float));
    else
      for (int64_t i = 0; i < n; ++i) dw[offsets_[static_cast<size_t>(i)]] = out[i];
  }

 private:
  bool bias_;
  Activation act_;
  Layout data_layout_;            // of x and dy
  ParamLayout layout_;            // of dw
  std::vector<int64_t> offsets_;  // of each row-major filter element in layout_ (blocked layouts)
  int64_t C_ = 0;                 // channels (g_.C: rounded up to 16)
  int64_t dst_stored_;            // elements dy stores
  depthwise_wgrad::Geometry g_{};
  memory x_blocked_, dy_blocked_, rowmajor_;
};

// Whether edgetrain's depthwise weight gradient takes the problem: one filter per channel, x and dy in
// one layout.
bool own_depthwise_bwd_weights(const Conv2dAttrs& a, const KernelProblem& p) {
  return p.pass == Pass::bwd_weights && a.groups > 1 && a.groups == p.src[0][1] && a.groups == p.dst[1] &&
         p.src_layout_of(0) == p.dst_layout;
}

// Why the native backend should take the problem rather than oneDNN, or nullopt.
std::optional<std::string> native_is_faster(const Conv2dAttrs& a, const KernelProblem& p) {
  // Pointwise convolutions on large plain maps have little arithmetic per byte: the reorders into and
  // out of the blocked layout cost more than oneDNN gains, and the native GEMM (no im2col for 1x1,
  // stride 1) is 2-3x faster for fwd and bwd_data (bench/conv_bench: MobileNetV2 16->96 at 112², fwd 108
  // vs 320 GFLOPS). bwd_weights stays here (113 vs 68 GFLOPS). With a persistent blocked input or
  // output, at most one side is reordered and oneDNN runs them (the native convolution could not take
  // the blocked side anyway). Convolutions have no aux: passes may mix.
  const bool pointwise = a.kernel_h == 1 && a.kernel_w == 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 &&
                         a.pad_w == 0 && a.groups == 1;
  const bool all_plain = p.src_layout_of(0) == Layout::plain && p.dst_layout == Layout::plain;
  if (pointwise && all_plain && p.pass != Pass::bwd_weights && p.dst[2] * p.dst[3] >= 56 * 56)
    return "pointwise convolution on a large plain map: the native GEMM is faster than oneDNN + reorders";
  return std::nullopt;
}

bool slow(const ProgramKernel& k) { return k.program().runs_naive() || k.program().algorithm() == Algorithm::gemm; }

}  // namespace

std::unique_ptr<ProgramKernel> make_conv2d(const Conv2dAttrs& a, const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1 || p.src[0].rank() != 4) {
    why_not = "Conv2d expects one 4-D input";
    return nullptr;
  }
  if (std::optional<std::string> why = native_is_faster(a, p)) {
    why_not = *why;
    return nullptr;
  }
  // oneDNN chooses the layouts inside the kernel (running on plain row-major layouts was 1.4-5x slower).
  constexpr bool any = true;
  // Few input channels (a first layer): oneDNN pads diff_src to 16-channel blocks and its blocked
  // bwd_data runs ~3x slower than on the plain layout (3->64 7x7: 23.5 ms vs 8 ms at batch 8).
  const bool plain_diff_src = a.groups == 1 && p.src[0][1] < 16;
  const auto build = [&](Compute compute) -> std::unique_ptr<ProgramKernel> {
    switch (p.pass) {
      case Pass::fwd: return std::make_unique<ConvFwd>(a, p, any, compute);
      case Pass::bwd_data:
        return std::make_unique<ConvBwdData>(a, p, any && (!plain_diff_src || compute == Compute::padded_inputs),
                                             compute);
      case Pass::bwd_weights: return std::make_unique<ConvBwdWeights>(a, p, any, compute);
    }
    return nullptr;
  };
  // Odd channel counts (pruned networks) and some grouped or depthwise shapes have no oneDNN JIT kernel
  // in blocked layouts: oneDNN then runs its naive loops (a 7x7 bwd_data of a pruned ResNet-20 took 150
  // ms; a pruned 7->32 bwd_weights beside blocked neighbours, 0.9 ms for 0.4 MFLOP), or for plain ones
  // its GEMM-based convolution. In order: a depthwise weight gradient is edgetrain's; narrow groups
  // are packed into 16-channel ones; input channels that are not a multiple of 16 are padded; else the problem is
  // computed on plain layouts — the blocked sides reordered through scratch, so the neighbours keep their blocked
  // layouts; where oneDNN is naive even there, the problem is declined and the native backend's im2col + GEMM
  // convolution takes it.
  std::unique_ptr<ProgramKernel> k = build(Compute::as_given);
  if (!k || !slow(*k)) return k;
  if (p.dtype != DType::f32) {
    why_not = fmt::format("no oneDNN JIT kernel for this {} convolution ({})", dtype_info(p.dtype).name,
                          k->program().impl_info());
    return nullptr;
  }
  if (own_depthwise_bwd_weights(a, p)) return std::make_unique<ConvDwBwdWeights>(a, p);
  const int64_t taps = a.kernel_h * a.kernel_w;
  if (group_packing::packing_for(p.src[0][1], p.dst[1], a.groups, taps).k > 1 && p.weight_layout_of(0).plain()) {
    std::unique_ptr<ProgramKernel> packed = build(Compute::packed_groups);
    if (packed && !slow(*packed)) return packed;
  }
  if (a.groups == 1 && p.src[0][1] % kChannelBlock != 0) {
    std::unique_ptr<ProgramKernel> padded = build(Compute::padded_inputs);
    if (padded && !slow(*padded)) return padded;
  }
  if (k->program().runs_naive()) k = build(Compute::plain);
  if (k && k->program().runs_naive()) {
    why_not = fmt::format("oneDNN has only its naive kernel for this convolution ({})", k->program().impl_info());
    return nullptr;
  }
  return k;
}

}  // namespace edgetrain::onednn
