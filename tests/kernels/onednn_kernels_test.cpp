// The oneDNN backend against the reference kernels: each case runs fwd, bwd_data and bwd_weights (as the
// op has them) once through the reference and once through oneDNN on identical inputs, each chain with
// its own aux (max pooling's aux content is implementation-specific), and compares every output
// relative to the reference tensor's largest magnitude. Outputs start as garbage so that a kernel that
// does not overwrite them fails. Plus: selection through the registry.
#include <gtest/gtest.h>

#include "onednn_compare.hpp"

namespace edgetrain::test {
namespace {

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

// LeakyReLU, Sigmoid, SiLU and HardSwish run on oneDNN's eltwise (the reference's formulas, PyTorch's at
// the kinks); HardSigmoid, Scale and a HardSwish with other constants stay with the reference.
TEST(OnednnVsRef, PointwiseFunctions) {
  const PointwiseAttrs on_onednn[] = {{PointwiseFn::leaky_relu, 0.1, 0.0},
                                      {PointwiseFn::sigmoid, 0.0, 0.0},
                                      {PointwiseFn::silu, 0.0, 0.0},
                                      {PointwiseFn::hard_swish, 1.0 / 6.0, 0.5}};
  for (const PointwiseAttrs& a : on_onednn)
    for (const Shape& x : {Shape{2, 3, 7, 9}, Shape{5, 13}}) {
      compare(a, {x}, true, Fill::pointwise_safe);
      compare_blocked(a, {Shape{2, 32, 5, 7}}, true, Fill::pointwise_safe);
    }
  std::string why;
  KernelProblem p;
  p.src = {Shape{2, 3, 4, 4}};
  p.dst = Shape{2, 3, 4, 4};
  for (const PointwiseAttrs& a :
       {PointwiseAttrs{PointwiseFn::hard_sigmoid, 1.0 / 6.0, 0.5}, PointwiseAttrs{PointwiseFn::scale, 3.0, 0.0},
        PointwiseAttrs{PointwiseFn::hard_swish, 0.2, 0.5}}) {
    p.attrs = a;
    EXPECT_EQ(make_onednn_kernel(p, why), nullptr) << pointwise_name(a.fn);
  }
  p.attrs = on_onednn[2];
  EXPECT_NE(make_onednn_kernel(p, why), nullptr) << why;
}

TEST(OnednnVsRef, MaxPool) {
  struct C {
    Shape x;
    int k, s, p;
    bool ceil;
  };
  for (const C& c :
       {C{{2, 3, 7, 7}, 2, 2, 0, false}, C{{1, 4, 10, 10}, 3, 2, 1, false}, C{{2, 3, 8, 8}, 3, 2, 0, true},
        C{{1, 5, 9, 9}, 3, 2, 1, true}, C{{2, 2, 6, 5}, 2, 1, 0, false}, C{{2, 8, 112, 112}, 3, 2, 1, false},
        C{{4, 8, 2, 2}, 3, 1, 1, true}, C{{4, 8, 4, 4}, 2, 2, 0, true}, C{{4, 8, 3, 3}, 3, 2, 0, true}}) {
    MaxPoolAttrs a;
    a.kernel_h = a.kernel_w = c.k, a.stride_h = a.stride_w = c.s, a.pad_h = a.pad_w = c.p, a.ceil_mode = c.ceil;
    compare(a, {c.x}, true, Fill::distinct);
    compare(a, {c.x}, false, Fill::distinct);  // inference: no aux
  }
}

TEST(OnednnVsRef, AvgPool) {
  struct C {
    Shape x;
    int k, s, p;
    bool ceil, include;
  };
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

// BatchNorm on blocked16 is the native backend's (oneDNN declines it), with padding lanes too (24, 40,
// 72 channels: the harness fills the padding lanes with garbage the kernel must ignore).
TEST(NativeBlocked, BatchNorm) {
  const Factory native = &make_native_kernel;
  for (const Shape& x : {Shape{1, 16, 4, 4}, Shape{8, 32, 9, 9}, Shape{4, 64, 2, 2}, Shape{4, 48, 4, 4},
                         Shape{2, 16, 1, 1}, Shape{2, 24, 5, 5}, Shape{4, 40, 3, 3}, Shape{2, 72, 1, 1}}) {
    BatchNormAttrs a;
    a.channels = x[1], a.momentum = 0.1, a.eps = x[2] < 4 ? 1e-3 : 1e-5;
    compare_blocked(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, native);
    compare_blocked(a, {x}, false, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, native);
    compare(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::blocked_fused, native);
    compare(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false}, Mode::blocked_fused, native);
    compare_blocked(a, {x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {false, true}, native);
  }
}

TEST(OnednnBlocked, EltwisePoolingAddConcat) {
  for (int64_t c : {32, 24}) {  // 24: padding lanes
    compare_blocked(ReluAttrs{}, {Shape{2, c, 5, 7}}, true, Fill::relu_safe);
    compare_blocked(Relu6Attrs{}, {Shape{2, c, 5, 7}}, true, Fill::relu6_safe);
  }
  struct C {
    Shape x;
    int k, s, p;
    bool ceil;
  };
  for (const C& c :
       {C{{2, 16, 112, 112}, 3, 2, 1, false}, C{{4, 16, 4, 4}, 2, 2, 0, true}, C{{1, 32, 9, 9}, 3, 2, 1, true},
        C{{2, 40, 9, 9}, 3, 2, 1, false}}) {
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
  compare_blocked(GlobalAvgPoolAttrs{}, {Shape{2, 24, 7, 7}});
  compare_blocked(AddAttrs{}, {Shape{2, 16, 5, 5}, Shape{2, 16, 5, 5}});
  compare_blocked(AddAttrs{}, {Shape{2, 40, 5, 5}, Shape{2, 40, 5, 5}});
  compare_blocked(ConcatAttrs{}, {Shape{2, 16, 4, 4}, Shape{2, 32, 4, 4}, Shape{2, 16, 4, 4}});
}

// Global pooling between layouts: a padded blocked feature map into a plain [N, C, 1, 1] (before a
// Flatten) and a plain one into a padded blocked [N, C, 1, 1] (an SE gate's input) are not the same
// bytes; the kernel reorders, both passes match the reference.
TEST(OnednnBlocked, GlobalPoolingIntoTheOtherLayoutWithPaddingLanes) {
  const Shape x{2, 24, 5, 5};
  for (const auto& [in, out] : {std::pair{Layout::blocked16, Layout::plain}, std::pair{Layout::plain, Layout::blocked16}}) {
    SCOPED_TRACE(fmt::format("{} -> {}", layout_name(in), layout_name(out)));
    OpHarness ref(GlobalAvgPoolAttrs{}, {x}, DType::f32, true), d(GlobalAvgPoolAttrs{}, {x}, DType::f32, true);
    for (OpHarness* h : {&ref, &d}) {
      h->fill(42);
      for (int64_t i = 0; i < h->diff_dst.numel(); ++i) h->diff_dst.set(i, 0.1 * static_cast<double>(i % 7) - 0.3);
    }
    ref.fwd();
    ref.bwd_data();
    fill_garbage(d.dst);
    fill_garbage(d.diff_src[0]);
    relayout_in_place(d.src[0], Layout::plain, in);
    relayout_in_place(d.diff_src[0], Layout::plain, in);
    relayout_in_place(d.dst, Layout::plain, out);
    relayout_in_place(d.diff_dst, Layout::plain, out);
    for (Pass pass : {Pass::fwd, Pass::bwd_data}) {
      KernelProblem p = d.problem(pass);
      p.src_layout = {in};
      p.dst_layout = out;
      execute_pass(&make_onednn_kernel, p, d);
    }
    relayout_in_place(d.dst, out, Layout::plain);
    relayout_in_place(d.diff_src[0], in, Layout::plain);
    expect_close(d.dst, ref.dst, 1e-5, "dst");
    expect_close(d.diff_src[0], ref.diff_src[0], 1e-5, "diff_src");
  }
}

TEST(OnednnFused, ConvolutionAndBatchNormWithReluOrRelu6) {
  for (Activation act : {Activation::relu, Activation::relu6}) {
    for (Mode mode : {Mode::plain, Mode::blocked}) {
      compare_fused(conv_attrs(kConvCases[1]), kConvCases[1].x, act, mode);  // 16 -> 32, stride 2, bias
      compare_fused(conv_attrs(kConvCases[5]), kConvCases[5].x, act, mode);  // depthwise
      compare_fused(conv_attrs(kConvCases[8]), kConvCases[8].x, act, mode);  // 7x7, odd channels (plain)
    }
    for (const Shape& x : {Shape{2, 32, 7, 7}, Shape{8, 16, 1, 1}, Shape{2, 24, 7, 7}}) {
      BatchNormAttrs bn;
      bn.channels = x[1];
      compare_fused(bn, x, act, Mode::blocked, &make_native_kernel);  // BatchNorm fuses on blocked16 only (native)
    }
  }
  std::string why;
  BatchNormAttrs bn;
  bn.channels = 16;
  KernelProblem p = problem_of_shapes(bn, {Shape{2, 16, 4, 4}});
  p.fused_activation = Activation::relu;
  EXPECT_EQ(make_onednn_kernel(p, why), nullptr);  // plain BatchNorm: oneDNN's, no ReLU6, no fusion
  EXPECT_EQ(make_ref_kernel(p, why), nullptr);
  EXPECT_EQ(make_native_kernel(p, why), nullptr);  // the native BatchNorm runs on blocked16 only
  p.src_layout = {Layout::blocked16};
  p.dst_layout = Layout::blocked16;
  EXPECT_EQ(make_onednn_kernel(p, why), nullptr);  // ...and there it is the native backend's
  EXPECT_NE(make_native_kernel(p, why), nullptr);
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
    EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f32, pass), std::nullopt)->impl_name(), "onednn");
  EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f64), std::nullopt)->impl_name(), "ref");
  EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f32), KernelBackend::reference)->impl_name(), "ref");
  EXPECT_EQ(select_kernel(problem_of(conv_attrs(c), {c.x}, DType::f32), KernelBackend::onednn)->impl_name(), "onednn");
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
