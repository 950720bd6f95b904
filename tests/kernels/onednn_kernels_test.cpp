// The oneDNN backend against the reference kernels: each case runs fwd, bwd_data and bwd_weights (as the
// op has them) once through the reference and once through oneDNN on identical inputs, each chain with
// its own aux (max pooling's aux content is implementation-specific), and compares every output
// relative to the reference tensor's largest magnitude. Outputs start as garbage so that a kernel that
// does not overwrite them fails. Plus: selection through the registry.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <memory>
#include <random>

#include "kernels/onednn/onednn_kernels.hpp"
#include "op_harness.hpp"

namespace edgetrain::test {
namespace {

struct Tol {
  double out = 1e-4, grad_src = 1e-4, grad_weights = 1e-4;
};

using Factory = std::unique_ptr<Kernel> (*)(const KernelProblem&, std::string&);

// Output buffers start at this value; any element a kernel fails to write shows up in the comparison.
constexpr double kGarbage = 1234.5;

void fill_garbage(Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, t.view.dtype == DType::i32 ? -7 : kGarbage);
}

struct Chain {
  std::unique_ptr<OpHarness> h;
  std::vector<std::string> impls;
  // oneDNN declined a problem with a blocked side because it has only its naive kernel there: compile()
  // would demote the blocked side to plain and the reference would run it (OnednnVsRef checks that).
  bool demoted = false;
  // Passes oneDNN declined on purpose (the reference runs them): what they write is the reference's
  // own result, so comparing it with the reference chain would compare the reference with itself.
  std::vector<Pass> by_reference;
  bool ran_onednn(Pass p) const { return std::find(by_reference.begin(), by_reference.end(), p) == by_reference.end(); }
};

// How the oneDNN chain runs: on plain tensors; with every tensor that can be blocked16 in that layout
// (converted in before and back out after, see core/layout.hpp); the same with the node's weight
// gradients written by bwd_data (weight_grads_in_bwd_data, no bwd_weights pass).
enum class Mode { plain, blocked, blocked_fused };

Layout layout_for(const Shape& s, Mode mode) {
  return mode != Mode::plain && blockable(s) ? Layout::blocked16 : Layout::plain;
}

void relayout_in_place(Tensor& t, Layout from, Layout to) {
  if (from == to || t.view.dtype != DType::f32) return;
  const Shape& s = t.view.shape;
  std::vector<float> copy(t.view.as<float>(), t.view.as<float>() + t.numel());
  relayout(copy.data(), from, t.view.as<float>(), to, s[0], s[1], s.numel_from(2));
}

// Builds a harness with deterministic inputs and runs the passes with `make`.
Chain run_chain(const Attrs& attrs, const std::vector<Shape>& shapes, bool training, Factory make, Fill how,
                const std::vector<bool>& frozen, Mode mode = Mode::plain) {
  Chain c;
  c.h = std::make_unique<OpHarness>(attrs, shapes, DType::f32, training);
  OpHarness& h = *c.h;
  h.fill(42, how);
  h.frozen = frozen;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, u(rng));
  fill_garbage(h.dst);
  for (Tensor& t : h.aux) fill_garbage(t);
  for (Tensor& t : h.diff_src) fill_garbage(t);
  for (Tensor& t : h.diff_weights) fill_garbage(t);

  const bool backward = training || is<BatchNormAttrs>(attrs);  // frozen BN still has a backward
  const bool fused = mode == Mode::blocked_fused;
  std::vector<Pass> passes{Pass::fwd};
  if (backward) passes.push_back(Pass::bwd_data);
  if (backward && h.has_params() && !fused) passes.push_back(Pass::bwd_weights);
  std::vector<Layout> src_layout;
  for (size_t i = 0; i < h.src.size(); ++i) {
    src_layout.push_back(layout_for(h.src[i].view.shape, mode));
    relayout_in_place(h.src[i], Layout::plain, src_layout[i]);
  }
  const Layout dst_layout = layout_for(h.dst.view.shape, mode);
  relayout_in_place(h.diff_dst, Layout::plain, dst_layout);
  auto problem = [&](Pass pass) {
    KernelProblem p = h.problem(pass);
    p.src_layout = src_layout;
    p.dst_layout = dst_layout;
    p.weight_grads_in_bwd_data = fused && pass == Pass::bwd_data;
    return p;
  };
  for (Pass pass : passes) {
    std::string why;
    std::unique_ptr<Kernel> k = make(problem(pass), why);
    if (!k && make != &make_ref_kernel && mode != Mode::plain && why.find("naive kernel") != std::string::npos) {
      c.impls.push_back("demoted, declined: " + why);
      c.demoted = true;
      return c;
    }
    if (!k && make != &make_ref_kernel) {
      // Declined: the registry would run the reference for this pass (passes of a node may mix
      // where the aux tensors are canonical). Recorded, so compare() can tell a designed decline.
      c.impls.push_back("ref, declined: " + why);
      c.by_reference.push_back(pass);
      k = make_ref_kernel(problem(pass), why);
    } else if (k) {
      c.impls.emplace_back(k->impl_name());
    }
    if (!k) {
      ADD_FAILURE() << "declined " << op_name(attrs) << " " << pass_name(pass) << ": " << why;
      return c;
    }
    AlignedBuffer scratch(k->scratch_bytes());
    KernelArgs a = h.args();
    a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
    k->execute(a);
    k->execute(a);  // a second execution must give the same result (no state carried between runs)...
    if (pass == Pass::fwd && !h.state.empty() && training) {
      // ...except the running statistics, which a training forward updates each time: undo one update
      // by running the chain's state from a fresh copy (compare after exactly one update).
      OpHarness fresh(attrs, shapes, DType::f32, training);
      fresh.fill(42, how);
      for (size_t i = 0; i < h.state.size(); ++i)
        for (int64_t j = 0; j < h.state[i].numel(); ++j) h.state[i].set(j, fresh.state[i].get(j));
      k->execute(a);
    }
  }
  relayout_in_place(h.dst, dst_layout, Layout::plain);
  for (size_t i = 0; i < h.diff_src.size(); ++i) relayout_in_place(h.diff_src[i], src_layout[i], Layout::plain);
  return c;
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.numel(), want.numel()) << what;
  double scale = 1e-6, err = 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::abs(want.get(i)));
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double e = std::abs(got.get(i) - want.get(i));
    if (!(e <= err)) err = e, worst = i;  // NaN-safe
  }
  EXPECT_LE(err / scale, tol) << what << ": worst element " << worst << " got " << got.get(worst) << " want "
                              << want.get(worst) << " (scale " << scale << ")";
}

void compare(const Attrs& attrs, const std::vector<Shape>& shapes, bool training = true, Fill how = Fill::uniform,
             Tol tol = {}, const std::vector<bool>& frozen = {}, Mode mode = Mode::plain) {
  SCOPED_TRACE(fmt::format("{} {} {} {}", op_name(attrs), problem_string(attrs, shapes, infer_shape(attrs, shapes)),
                           training ? "training" : "frozen/eval",
                           mode == Mode::plain ? "plain" : mode == Mode::blocked ? "blocked" : "blocked, fused"));
  Chain ref = run_chain(attrs, shapes, training, &make_ref_kernel, how, frozen);
  Chain dnn = run_chain(attrs, shapes, training, &make_onednn_kernel, how, frozen, mode);
  // oneDNN runs every pass, except where it declines on purpose because the reference is faster.
  for (const std::string& impl : dnn.impls)
    EXPECT_TRUE(impl == "onednn" || impl.find("the reference is faster") != std::string::npos ||
                impl.starts_with("demoted, declined: oneDNN has only its naive kernel"))
        << impl;
  if (dnn.demoted) return;
  const OpHarness &r = *ref.h, &d = *dnn.h;
  const bool backward = training || is<BatchNormAttrs>(attrs);
  // Only what oneDNN computed is compared (a declined pass's outputs are the reference's own); a case
  // where oneDNN computes nothing would test nothing.
  const bool fused = mode == Mode::blocked_fused;
  const bool check_fwd = dnn.ran_onednn(Pass::fwd);
  const bool check_src = backward && dnn.ran_onednn(Pass::bwd_data);
  const bool check_weights = backward && (fused ? dnn.ran_onednn(Pass::bwd_data) : dnn.ran_onednn(Pass::bwd_weights)) &&
                             !r.diff_weights.empty();
  EXPECT_TRUE(check_fwd || check_src || check_weights) << "oneDNN declined every pass: the case compares nothing";
  if (check_fwd) {
    expect_close(d.dst, r.dst, tol.out, "dst");
    for (size_t i = 0; i < r.state.size(); ++i)
      expect_close(d.state[i], r.state[i], tol.out, fmt::format("state[{}]", i));
    if (!is<MaxPoolAttrs>(attrs))
      for (size_t i = 0; i < r.aux.size(); ++i) expect_close(d.aux[i], r.aux[i], tol.out, fmt::format("aux[{}]", i));
  }
  if (check_src)
    for (size_t i = 0; i < r.diff_src.size(); ++i)
      expect_close(d.diff_src[i], r.diff_src[i], tol.grad_src, fmt::format("diff_src[{}]", i));
  if (check_weights)
    for (size_t i = 0; i < r.diff_weights.size(); ++i) {
      if (frozen.size() > i && frozen[i]) continue;
      expect_close(d.diff_weights[i], r.diff_weights[i], tol.grad_weights, fmt::format("diff_weights[{}]", i));
    }
}

struct ConvCase {
  Shape x;
  int64_t oc;
  int kh, kw, sh, sw, ph, pw, dh, dw, groups;
  bool bias;
};

Conv2dAttrs conv_attrs(const ConvCase& c) {
  Conv2dAttrs a;
  a.in_channels = c.x[1], a.out_channels = c.oc;
  a.kernel_h = c.kh, a.kernel_w = c.kw, a.stride_h = c.sh, a.stride_w = c.sw;
  a.pad_h = c.ph, a.pad_w = c.pw, a.dilation_h = c.dh, a.dilation_w = c.dw;
  a.groups = c.groups, a.bias = c.bias;
  return a;
}

const ConvCase kConvCases[] = {
    {{2, 3, 9, 11}, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},      // odd sizes, first-layer channels
    {{1, 16, 15, 15}, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, true},   // batch 1, stride 2
    {{2, 8, 13, 10}, 8, 3, 3, 1, 1, 2, 2, 2, 2, 1, false},    // dilation 2
    {{2, 8, 12, 12}, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2, true},     // grouped 2
    {{3, 16, 9, 9}, 32, 1, 1, 1, 1, 0, 0, 1, 1, 4, false},    // grouped 4, pointwise
    {{2, 16, 14, 14}, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16, false}, // depthwise
    {{2, 16, 15, 15}, 16, 3, 3, 2, 2, 1, 1, 1, 1, 16, true},  // depthwise stride 2
    {{1, 8, 11, 11}, 16, 5, 5, 1, 1, 2, 2, 1, 1, 8, true},    // depthwise, multiplier 2
    {{2, 4, 17, 17}, 5, 7, 7, 2, 2, 3, 3, 1, 1, 1, true},     // 7x7 stride 2, odd channels
    {{1, 32, 7, 7}, 64, 1, 1, 2, 2, 0, 0, 1, 1, 1, false},    // projection shortcut
    {{2, 5, 10, 10}, 7, 3, 5, 1, 2, 1, 2, 2, 1, 1, true},     // asymmetric kernel/stride/pad/dilation
    {{2, 64, 8, 8}, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},     // a ResNet block, small
};

TEST(OnednnVsRef, Conv2d) {
  for (const ConvCase& c : kConvCases) compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3});
}

// 3x3 stride-1 convolutions with a 14x14 or larger output and channels in multiples of 16 run oneDNN's
// Winograd F(4x4, 3x3) in all three passes (fewer multiplies, larger rounding error than the direct
// algorithm); smaller outputs, first layers and other shapes stay direct. The cases check which algorithm each pass chose, so a silent fallback
// to direct would fail here rather than leave Winograd untested.
std::string conv_detail(const ConvCase& c, Pass pass, Mode mode, Activation act = Activation::none) {
  OpHarness h(conv_attrs(c), {c.x}, DType::f32, true);
  KernelProblem p = h.problem(pass);
  p.fused_activation = act;
  p.src_layout = {layout_for(c.x, mode)};
  p.dst_layout = layout_for(h.dst.view.shape, mode);
  std::string why;
  std::unique_ptr<Kernel> k = make_onednn_kernel(p, why);
  return k ? std::string(k->detail()) : "declined: " + why;
}

// Pruned networks' odd channel counts beside blocked neighbours, and depthwise convolutions on tiny
// maps: oneDNN 2.6 has only its naive loops for some passes of these in blocked layouts, so the factory
// computes them on plain layouts (GEMM-based, the blocked side reordered through scratch). No pass may
// run a naive primitive or decline, and each must match the reference.
TEST(OnednnVsRef, Conv2dOddChannelsAndTinyDepthwiseNeverRunNaive) {
  const ConvCase cases[] = {
      {{2, 7, 14, 14}, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},    // pruned 7 -> blocked 32
      {{2, 32, 14, 14}, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},    // blocked 32 -> pruned 7
      {{2, 32, 14, 14}, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, false},   // stride 2 into 11 channels
      {{2, 11, 7, 7}, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},      // 11 -> blocked 64, bias
      {{2, 64, 7, 7}, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},      // 64 -> 2
      {{2, 96, 2, 2}, 96, 3, 3, 1, 1, 1, 1, 1, 1, 96, false},    // depthwise on a 2x2 map
      {{2, 160, 1, 1}, 160, 3, 3, 1, 1, 1, 1, 1, 1, 160, false}, // depthwise on a 1x1 map
  };
  for (const ConvCase& c : cases) {
    for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
      const std::string detail = conv_detail(c, pass, Mode::blocked);
      EXPECT_FALSE(detail.starts_with("declined") || detail.starts_with("ref:") ||
                   detail.find("+ref:") != std::string::npos)
          << c.x.str() << " -> " << c.oc << " " << pass_name(pass) << ": " << detail;
    }
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3}, {}, Mode::blocked);
  }
}

// oneDNN 2.6's Winograd kernel needs AVX-512 (avx512_core: F, BW, DQ, VL); elsewhere it falls back to direct.
bool winograd_cpu() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

void compare_fused(const Attrs& attrs, const Shape& x, Activation act, Mode mode);  // below

TEST(OnednnVsRef, Conv2dWinograd) {
  const bool available = winograd_cpu();
  const ConvCase wino[] = {
      {{2, 16, 14, 14}, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},    // smallest output that takes Winograd
      {{1, 32, 17, 15}, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},   // batch 1, odd sizes (partial 4x4 tiles)
      {{2, 16, 18, 20}, 32, 3, 3, 1, 1, 0, 0, 1, 1, 1, true},    // no padding: 16x18 output
  };
  for (Mode mode : {Mode::plain, Mode::blocked}) {
    for (const ConvCase& c : wino) {
      for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights})
        EXPECT_EQ(conv_detail(c, pass, mode).find("wino") != std::string::npos, available)
            << c.x.str() << " " << pass_name(pass) << ": " << conv_detail(c, pass, mode);
      compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3}, {}, mode);
    }
    // A fused activation is an eltwise post-op: oneDNN's Winograd takes ReLU; with ReLU6 (clip) the
    // kernel falls back to the direct algorithm. Both against the reference.
    EXPECT_EQ(conv_detail(wino[0], Pass::fwd, mode, Activation::relu).find("wino") != std::string::npos, available);
    for (Activation act : {Activation::relu, Activation::relu6}) compare_fused(conv_attrs(wino[0]), wino[0].x, act, mode);
    const ConvCase first{{2, 3, 16, 16}, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, true};  // 3 input channels
    for (const ConvCase& c : {kConvCases[11], kConvCases[1], kConvCases[3], first})  // 8x8 out, stride 2, grouped
      for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights})
        EXPECT_EQ(conv_detail(c, pass, mode).find("wino"), std::string::npos) << c.x.str() << " " << pass_name(pass);
  }
}

TEST(OnednnVsRef, Conv2dFrozenParts) {
  const ConvCase c = kConvCases[0];
  compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3}, {true, false});  // bias only
  compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3}, {false, true});  // weight only
  const ConvCase dw = kConvCases[6];
  compare(conv_attrs(dw), {dw.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3}, {true, false});
}

TEST(OnednnVsRef, BatchNorm) {
  for (const Shape& x : {Shape{2, 3, 5, 7}, Shape{1, 16, 4, 4}, Shape{4, 8, 1, 1}, Shape{3, 5}, Shape{8, 32, 9, 9}}) {
    BatchNormAttrs a;
    a.channels = x[1];
    a.momentum = 0.1;
    compare(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4});
    compare(a, {x}, false, Fill::uniform, {1e-4, 1e-4, 1e-4});
  }
  BatchNormAttrs a;
  a.channels = 6, a.eps = 1e-3, a.momentum = 0.3;
  compare(a, {Shape{2, 6, 3, 3}}, true);
  compare(a, {Shape{2, 6, 3, 3}}, true, Fill::uniform, {}, {true, false});
  for (const Shape& x : {Shape{4, 64, 2, 2}, Shape{4, 48, 4, 4}, Shape{2, 16, 1, 1}}) {
    BatchNormAttrs g;  // GoogLeNet's eps on small maps
    g.channels = x[1], g.eps = 1e-3;
    compare(g, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4});
  }
}

TEST(OnednnSelection, DeclinesWhereTheReferenceIsFaster) {
  std::string why;
  BatchNormAttrs bn;
  bn.channels = 8;
  KernelProblem p;
  p.attrs = bn;
  p.pass = Pass::bwd_data;
  p.src = {Shape{2, 8, 5, 5}};
  p.dst = Shape{2, 8, 5, 5};
  EXPECT_EQ(make_onednn_kernel(p, why), nullptr);  // training BN backward on NCHW
  p.training = false;
  EXPECT_NE(make_onednn_kernel(p, why), nullptr);  // frozen statistics: oneDNN
  p.weight_grads_in_bwd_data = true;
  EXPECT_EQ(make_onednn_kernel(p, why), nullptr);  // the fused backward is the reference's
  const ConvCase pw{{2, 16, 56, 56}, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1, false};
  KernelProblem c;
  c.attrs = conv_attrs(pw);
  c.src = {pw.x};
  c.dst = Shape{2, 32, 56, 56};
  for (Pass pass : {Pass::fwd, Pass::bwd_data}) {
    c.pass = pass;
    EXPECT_EQ(make_onednn_kernel(c, why), nullptr) << pass_name(pass);
  }
  c.pass = Pass::bwd_weights;
  EXPECT_NE(make_onednn_kernel(c, why), nullptr);
}

TEST(OnednnVsRef, ReluAndRelu6) {
  for (const Shape& x : {Shape{2, 3, 7, 9}, Shape{1, 1, 1, 17}, Shape{5, 13}}) {
    compare(ReluAttrs{}, {x}, true, Fill::relu_safe);
    compare(Relu6Attrs{}, {x}, true, Fill::relu6_safe);
  }
}

TEST(OnednnVsRef, MaxPool) {
  struct C { Shape x; int k, s, p; bool ceil; };
  for (const C& c : {C{{2, 3, 7, 7}, 2, 2, 0, false}, C{{1, 4, 10, 10}, 3, 2, 1, false}, C{{2, 3, 8, 8}, 3, 2, 0, true},
                     C{{1, 5, 9, 9}, 3, 2, 1, true}, C{{2, 2, 6, 5}, 2, 1, 0, false}, C{{2, 8, 112, 112}, 3, 2, 1, false},
                     C{{4, 8, 2, 2}, 3, 1, 1, true}, C{{4, 8, 4, 4}, 2, 2, 0, true}, C{{4, 8, 3, 3}, 3, 2, 0, true}}) {
    MaxPoolAttrs a;
    a.kernel_h = a.kernel_w = c.k, a.stride_h = a.stride_w = c.s, a.pad_h = a.pad_w = c.p, a.ceil_mode = c.ceil;
    compare(a, {c.x}, true, Fill::distinct);
    compare(a, {c.x}, false, Fill::distinct);  // inference: no aux
  }
}

TEST(OnednnVsRef, AvgPool) {
  struct C { Shape x; int k, s, p; bool ceil, include; };
  for (const C& c : {C{{2, 3, 8, 8}, 2, 2, 0, false, true}, C{{1, 4, 10, 10}, 3, 2, 1, false, true},
                     C{{1, 4, 10, 10}, 3, 2, 1, false, false}, C{{2, 3, 9, 9}, 3, 2, 1, true, false},
                     C{{2, 3, 7, 7}, 2, 2, 0, true, false}, C{{2, 3, 7, 6}, 3, 1, 1, false, true},
                     C{{1, 2, 11, 11}, 3, 3, 1, true, true}}) {
    AvgPoolAttrs a;
    a.kernel_h = a.kernel_w = c.k, a.stride_h = a.stride_w = c.s, a.pad_h = a.pad_w = c.p;
    a.ceil_mode = c.ceil, a.count_include_pad = c.include;
    compare(a, {c.x});
  }
}

TEST(OnednnVsRef, AvgPoolCeilIncludePadDeclinesToRef) {
  AvgPoolAttrs a;  // 7x7, k2 s2 p0, ceil: the last window overhangs the input with no padding to count
  a.ceil_mode = true;
  a.count_include_pad = true;
  OpHarness h(a, {Shape{2, 3, 7, 7}}, DType::f32);
  std::string why;
  EXPECT_EQ(make_onednn_kernel(h.problem(Pass::fwd), why), nullptr);
  EXPECT_NE(why.find("count_include_pad"), std::string::npos) << why;
  EXPECT_EQ(select_kernel(h.problem(Pass::fwd))->impl_name(), "ref");
}

TEST(OnednnVsRef, GlobalAvgPoolLinearAddConcat) {
  compare(GlobalAvgPoolAttrs{}, {Shape{2, 8, 7, 7}});
  compare(GlobalAvgPoolAttrs{}, {Shape{1, 3, 1, 1}});
  LinearAttrs l;
  l.in_features = 10, l.out_features = 7;
  compare(l, {Shape{4, 10}});
  compare(l, {Shape{4, 10}}, true, Fill::uniform, {}, {true, false});
  compare(l, {Shape{4, 10}}, true, Fill::uniform, {}, {false, true});
  l.in_features = 33, l.out_features = 5, l.bias = false;
  compare(l, {Shape{1, 33}});
  compare(AddAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 3, 5, 5}});
  compare(ConcatAttrs{}, {Shape{2, 3, 4, 4}, Shape{2, 5, 4, 4}, Shape{2, 1, 4, 4}});
}

KernelProblem problem_of_shapes(const Attrs& attrs, std::vector<Shape> src) {
  KernelProblem p;
  p.attrs = attrs;
  p.dst = infer_shape(attrs, src);
  p.src = std::move(src);
  return p;
}

// Blocked16 activations (and their gradients) kept between steps: every op the blocked backend runs,
// over the tables' shapes with multiples of 16 channels (a tensor without them stays plain, so mixed
// problems such as a 3-channel first layer writing a blocked output are covered too).
void compare_blocked(const Attrs& attrs, const std::vector<Shape>& shapes, bool training = true,
                     Fill how = Fill::uniform, Tol tol = {}, const std::vector<bool>& frozen = {}) {
  compare(attrs, shapes, training, how, tol, frozen, Mode::blocked);
}

TEST(OnednnBlocked, Conv2d) {
  for (const ConvCase& c : kConvCases)
    compare_blocked(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3});
  const ConvCase first{{2, 3, 12, 12}, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, true};      // plain in, blocked out
  const ConvCase pointwise{{2, 16, 56, 56}, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1, false};  // large map: oneDNN
  for (const ConvCase& c : {first, pointwise})
    compare_blocked(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3});
  const ConvCase dw = kConvCases[6];
  compare_blocked(conv_attrs(dw), {dw.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-3}, {true, false});  // bias only
  std::string why;
  KernelProblem p;
  p.attrs = conv_attrs(pointwise);
  p.src = {pointwise.x};
  p.dst = Shape{2, 32, 56, 56};
  p.src_layout = {Layout::blocked16};
  p.dst_layout = Layout::blocked16;
  for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
    p.pass = pass;
    std::unique_ptr<Kernel> k = make_onednn_kernel(p, why);
    ASSERT_NE(k, nullptr) << why;
    EXPECT_EQ(k->reorders(), 1) << pass_name(pass);  // the weights (or their gradient) only: parameters are plain
  }
}

TEST(OnednnBlocked, BatchNorm) {
  for (const Shape& x : {Shape{1, 16, 4, 4}, Shape{8, 32, 9, 9}, Shape{4, 64, 2, 2}, Shape{4, 48, 4, 4},
                         Shape{2, 16, 1, 1}}) {
    BatchNormAttrs a;
    a.channels = x[1], a.momentum = 0.1, a.eps = x[2] < 4 ? 1e-3 : 1e-5;
    compare_blocked(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4});
    compare_blocked(a, {x}, false, Fill::uniform, {1e-4, 1e-4, 1e-4});
    compare(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::blocked_fused);
    compare(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false}, Mode::blocked_fused);
    compare_blocked(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {false, true});
  }
}

TEST(OnednnBlocked, EltwisePoolingAddConcat) {
  compare_blocked(ReluAttrs{}, {Shape{2, 32, 5, 7}}, true, Fill::relu_safe);
  compare_blocked(Relu6Attrs{}, {Shape{2, 32, 5, 7}}, true, Fill::relu6_safe);
  struct C { Shape x; int k, s, p; bool ceil; };
  for (const C& c : {C{{2, 16, 112, 112}, 3, 2, 1, false}, C{{4, 16, 4, 4}, 2, 2, 0, true}, C{{1, 32, 9, 9}, 3, 2, 1, true}}) {
    MaxPoolAttrs m;
    m.kernel_h = m.kernel_w = c.k, m.stride_h = m.stride_w = c.s, m.pad_h = m.pad_w = c.p, m.ceil_mode = c.ceil;
    compare_blocked(m, {c.x}, true, Fill::distinct);
    compare_blocked(m, {c.x}, false, Fill::distinct);
    AvgPoolAttrs a;
    a.kernel_h = a.kernel_w = c.k, a.stride_h = a.stride_w = c.s, a.pad_h = a.pad_w = c.p, a.ceil_mode = c.ceil;
    a.count_include_pad = false;
    compare_blocked(a, {c.x});
  }
  compare_blocked(GlobalAvgPoolAttrs{}, {Shape{2, 32, 7, 7}});  // blocked in, [2, 32, 1, 1] out
  compare_blocked(AddAttrs{}, {Shape{2, 16, 5, 5}, Shape{2, 16, 5, 5}});
  compare_blocked(ConcatAttrs{}, {Shape{2, 16, 4, 4}, Shape{2, 32, 4, 4}, Shape{2, 16, 4, 4}});
}

// A ReLU / ReLU6 fused into a convolution or a BatchNorm (KernelProblem::fused_activation) against the
// reference op followed by the activation: forward act(op(x)); backward the op's gradients of
// dy masked where the activation's output leaves (0, hi) — what the reference ReLU / ReLU6 backward
// computes. The fused backward passes get the unmasked dy and the activation's output as dst.
void compare_fused(const Attrs& attrs, const Shape& x, Activation act, Mode mode) {
  SCOPED_TRACE(fmt::format("{} {} {} {}", op_name(attrs), x.str(), act == Activation::relu ? "ReLU" : "ReLU6",
                           mode == Mode::plain ? "plain" : "blocked"));
  const double hi = act == Activation::relu6 ? 6.0 : INFINITY;
  auto incoming = [](OpHarness& h) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, u(rng));
  };
  OpHarness r(attrs, {x}, DType::f32, true);  // the reference chain
  r.fill(42);
  incoming(r);
  r.fwd();
  for (int64_t i = 0; i < r.dst.numel(); ++i) {
    const double y = std::min(std::max(r.dst.get(i), 0.0), hi);
    r.dst.set(i, y);
    if (!(y > 0.0 && y < hi)) r.diff_dst.set(i, 0.0);
  }
  r.bwd_data();
  r.bwd_weights();

  OpHarness d(attrs, {x}, DType::f32, true);  // oneDNN, fused
  d.fill(42);
  incoming(d);
  fill_garbage(d.dst);
  for (Tensor& t : d.diff_src) fill_garbage(t);
  for (Tensor& t : d.diff_weights) fill_garbage(t);
  const Layout src_layout = layout_for(x, mode), dst_layout = layout_for(d.dst.view.shape, mode);
  relayout_in_place(d.src[0], Layout::plain, src_layout);
  relayout_in_place(d.diff_dst, Layout::plain, dst_layout);
  for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
    KernelProblem p = d.problem(pass);
    p.src_layout = {src_layout};
    p.dst_layout = dst_layout;
    p.fused_activation = act;
    std::string why;
    std::unique_ptr<Kernel> k = make_onednn_kernel(p, why);
    ASSERT_NE(k, nullptr) << pass_name(pass) << ": " << why;
    AlignedBuffer scratch(k->scratch_bytes());
    KernelArgs a = d.args();
    a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
    k->execute(a);
  }
  relayout_in_place(d.dst, dst_layout, Layout::plain);
  relayout_in_place(d.diff_src[0], src_layout, Layout::plain);
  expect_close(d.dst, r.dst, 1e-5, "dst");
  expect_close(d.diff_src[0], r.diff_src[0], 1e-4, "diff_src");
  for (size_t i = 0; i < r.diff_weights.size(); ++i)
    expect_close(d.diff_weights[i], r.diff_weights[i], 1e-3, fmt::format("diff_weights[{}]", i));
}

TEST(OnednnFused, ConvolutionAndBatchNormWithReluOrRelu6) {
  for (Activation act : {Activation::relu, Activation::relu6}) {
    for (Mode mode : {Mode::plain, Mode::blocked}) {
      compare_fused(conv_attrs(kConvCases[1]), kConvCases[1].x, act, mode);  // 16 -> 32, stride 2, bias
      compare_fused(conv_attrs(kConvCases[5]), kConvCases[5].x, act, mode);  // depthwise
      compare_fused(conv_attrs(kConvCases[8]), kConvCases[8].x, act, mode);  // 7x7, odd channels (plain)
    }
    for (const Shape& x : {Shape{2, 32, 7, 7}, Shape{8, 16, 1, 1}}) {
      BatchNormAttrs bn;
      bn.channels = x[1];
      compare_fused(bn, x, act, Mode::blocked);  // BatchNorm fuses on blocked16 only
    }
  }
  std::string why;
  BatchNormAttrs bn;
  bn.channels = 16;
  KernelProblem p = problem_of_shapes(bn, {Shape{2, 16, 4, 4}});
  p.fused_activation = Activation::relu;
  EXPECT_EQ(make_onednn_kernel(p, why), nullptr);  // plain BatchNorm: oneDNN's, no ReLU6, no fusion
  EXPECT_EQ(make_ref_kernel(p, why), nullptr);
  KernelProblem add = problem_of_shapes(AddAttrs{}, {Shape{2, 16, 4, 4}, Shape{2, 16, 4, 4}});
  add.fused_activation = Activation::relu;
  EXPECT_EQ(make_onednn_kernel(add, why), nullptr);
}

TEST(OnednnBlocked, MixedLayoutsDeclineAndTheReferenceTakesOnlyPlain) {
  std::string why;
  KernelProblem p = problem_of_shapes(ReluAttrs{}, {Shape{2, 16, 4, 4}});
  p.src_layout = {Layout::blocked16};
  EXPECT_EQ(make_onednn_kernel(p, why), nullptr);  // flat eltwise: one layout for both
  EXPECT_EQ(make_ref_kernel(p, why), nullptr);
  p.dst_layout = Layout::blocked16;
  EXPECT_NE(make_onednn_kernel(p, why), nullptr) << why;
  EXPECT_EQ(make_ref_kernel(p, why), nullptr);
  EXPECT_NE(why.find("plain"), std::string::npos) << why;
  KernelProblem a = problem_of_shapes(AddAttrs{}, {Shape{2, 16, 4, 4}, Shape{2, 16, 4, 4}});
  a.src_layout = {Layout::blocked16, Layout::plain};
  a.dst_layout = Layout::blocked16;
  EXPECT_EQ(make_onednn_kernel(a, why), nullptr);
}

KernelProblem problem_of(const Attrs& attrs, std::vector<Shape> src, DType dtype, Pass pass = Pass::fwd) {
  KernelProblem p;
  p.attrs = attrs;
  p.pass = pass;
  p.dst = infer_shape(attrs, src);
  p.src = std::move(src);
  p.dtype = dtype;
  return p;
}

TEST(OnednnSelection, AutoPicksOnednnForConvAndRefForTheRest) {
  const ConvCase c = kConvCases[1];
  for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights})
    EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f32, pass), "auto")->impl_name(), "onednn");
  EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f64), "auto")->impl_name(), "ref");
  EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f32), "ref")->impl_name(), "ref");
  EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f32), "onednn")->impl_name(), "onednn");
  EXPECT_EQ(select_kernel(problem_of(SoftmaxCrossEntropyAttrs{}, {Shape{4, 10}, Shape{4}}, DType::f32))->impl_name(),
            "ref");
  EXPECT_EQ(select_kernel(problem_of(DropoutAttrs{}, {Shape{4, 10}}, DType::f32))->impl_name(), "ref");
  std::string why;
  EXPECT_EQ(make_onednn_kernel(problem_of(conv_attrs(c), {c.x}, DType::f64), why), nullptr);
  EXPECT_NE(why.find("f32"), std::string::npos) << why;
  EXPECT_EQ(make_onednn_kernel(problem_of(DropoutAttrs{}, {Shape{4, 10}}, DType::f32), why), nullptr);
  EXPECT_NE(why.find("Dropout"), std::string::npos) << why;
  EXPECT_EQ(make_onednn_kernel(problem_of(ReluAttrs{}, {Shape{4, 10}}, DType::f32, Pass::bwd_weights), why), nullptr);
}

}  // namespace
}  // namespace edgetrain::test
