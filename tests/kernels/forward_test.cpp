// Forward semantics: conv against a direct convolution, f32 vs f64 agreement for every op, BatchNorm
// running statistics, dropout masks, cross-entropy by hand, elementwise add_into, registry selection.
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>

#include "core/check.hpp"
#include "kernels/ref/elementwise.hpp"
#include "op_harness.hpp"

namespace edgetrain::test {
namespace {

void expect_direct_conv(const Conv2dAttrs& a, Shape x_shape, DType dtype) {
  OpHarness h(a, {x_shape}, dtype);
  h.fill(5);
  h.fwd();
  const Shape& y = h.dst.view.shape;
  const int64_t N = x_shape[0], C = x_shape[1], H = x_shape[2], W = x_shape[3];
  const int64_t OC = y[1], OH = y[2], OW = y[3], Cg = C / a.groups, OCg = OC / a.groups;
  const double tol = dtype == DType::f32 ? 1e-4 : 1e-12;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < OC; ++oc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = a.bias ? h.weights[1].get(oc) : 0.0;
          const int64_t g = oc / OCg;
          for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t kh = 0; kh < a.kernel_h; ++kh)
              for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t ih = oh * a.stride_h - a.pad_h + kh * a.dilation_h;
                const int64_t iw = ow * a.stride_w - a.pad_w + kw * a.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += h.src[0].get(((n * C + g * Cg + ci) * H + ih) * W + iw) *
                       h.weights[0].get(((oc * Cg + ci) * a.kernel_h + kh) * a.kernel_w + kw);
              }
          ASSERT_NEAR(h.dst.get(((n * OC + oc) * OH + oh) * OW + ow), acc, tol)
              << "n" << n << " oc" << oc << " oh" << oh << " ow" << ow;
        }
}

TEST(Conv2dForward, MatchesDirectConvolution) {
  for (DType t : {DType::f32, DType::f64}) {
    expect_direct_conv(conv(3, 4, 3, 2, 1, 1, 1, true), Shape{2, 3, 7, 7}, t);
    expect_direct_conv(conv(3, 2, 3, 1, 2, 2, 1, false), Shape{2, 3, 7, 7}, t);
    expect_direct_conv(conv(6, 9, 3, 1, 1, 1, 3, true), Shape{3, 6, 5, 5}, t);
    expect_direct_conv(conv(4, 8, 3, 2, 1, 1, 4, true), Shape{2, 4, 7, 7}, t);       // depthwise x2
    expect_direct_conv(conv(5, 7, 1, 1, 0, 1, 1, true), Shape{1, 5, 6, 6}, t);       // pointwise
    expect_direct_conv(conv(16, 40, 3, 1, 1, 1, 1, true), Shape{2, 16, 20, 20}, t);  // GEMM past one micro-tile
  }
}

// The same inputs in f32 and f64 give the same outputs (to float precision), for every op.
struct Case {
  const char* name;
  Attrs attrs;
  std::vector<Shape> src;
  bool training;
};

TEST(Forward, FloatMatchesDouble) {
  MaxPoolAttrs mp;
  mp.kernel_h = mp.kernel_w = 3, mp.pad_h = mp.pad_w = 1, mp.ceil_mode = true;
  AvgPoolAttrs ap;
  ap.kernel_h = ap.kernel_w = 3, ap.pad_h = ap.pad_w = 1, ap.ceil_mode = true, ap.count_include_pad = false;
  BatchNormAttrs bn;
  bn.channels = 3;
  const std::vector<Case> cases = {
      {"conv", conv(3, 4, 3, 2, 1, 1, 1, true), {Shape{2, 3, 7, 7}}, true},
      {"conv_dw", conv(3, 3, 3, 1, 1, 1, 3, true), {Shape{2, 3, 7, 7}}, true},
      {"bn_train", bn, {Shape{2, 3, 5, 5}}, true},
      {"bn_eval", bn, {Shape{2, 3, 5, 5}}, false},
      {"relu", ReluAttrs{}, {Shape{2, 3, 5, 5}}, true},
      {"relu6", Relu6Attrs{}, {Shape{2, 3, 5, 5}}, true},
      {"maxpool", mp, {Shape{2, 3, 6, 6}}, true},
      {"avgpool", ap, {Shape{2, 3, 6, 6}}, true},
      {"gap", GlobalAvgPoolAttrs{}, {Shape{2, 3, 5, 5}}, true},
      {"linear", LinearAttrs{7, 5, true}, {Shape{3, 7}}, true},
      {"add", AddAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 3, 5, 5}}, true},
      {"mul", MulAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 3, 5, 5}}, true},
      {"mul_gate", MulAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 3, 1, 1}}, true},
      {"concat", ConcatAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 2, 5, 5}}, true},
      {"flatten", FlattenAttrs{}, {Shape{2, 3, 5, 5}}, true},
      {"channel_slice", ChannelSliceAttrs{1, 3}, {Shape{2, 4, 3, 3}}, true},
      {"channel_shuffle", ChannelShuffleAttrs{2}, {Shape{2, 6, 3, 3}}, true},
      {"dropout", DropoutAttrs{0.4}, {Shape{2, 3, 5, 5}}, true},
      {"sce", SoftmaxCrossEntropyAttrs{}, {Shape{4, 10}, Shape{4}}, true},
      {"leaky_relu", PointwiseAttrs{PointwiseFn::leaky_relu, 0.1, 0.0}, {Shape{2, 3, 5, 5}}, true},
      {"sigmoid", PointwiseAttrs{PointwiseFn::sigmoid, 0.0, 0.0}, {Shape{2, 3, 5, 5}}, true},
      {"hard_sigmoid", PointwiseAttrs{PointwiseFn::hard_sigmoid, 0.2, 0.5}, {Shape{2, 3, 5, 5}}, true},
      {"hard_swish", PointwiseAttrs{PointwiseFn::hard_swish, 1.0 / 6, 0.5}, {Shape{2, 3, 5, 5}}, true},
      {"scale", PointwiseAttrs{PointwiseFn::scale, -0.7, 0.0}, {Shape{2, 3, 5, 5}}, true},
      {"silu", PointwiseAttrs{PointwiseFn::silu, 0.0, 0.0}, {Shape{2, 3, 5, 5}}, true},
  };
  for (const Case& c : cases) {
    OpHarness f(c.attrs, c.src, DType::f32, c.training), d(c.attrs, c.src, DType::f64, c.training);
    d.fill(9, Fill::relu6_safe);
    auto copy_into = [](const std::vector<Tensor>& from, std::vector<Tensor>& to) {
      for (size_t i = 0; i < from.size(); ++i)
        for (int64_t j = 0; j < from[i].numel(); ++j) to[i].set(j, from[i].get(j));
    };
    copy_into(d.src, f.src);
    copy_into(d.weights, f.weights);
    copy_into(d.state, f.state);
    f.fwd();
    d.fwd();
    for (int64_t i = 0; i < d.dst.numel(); ++i)
      ASSERT_NEAR(f.dst.get(i), d.dst.get(i), 1e-4 * std::max(1.0, std::abs(d.dst.get(i))))
          << c.name << " [" << i << "]";
    for (size_t i = 0; i < d.aux.size(); ++i)
      for (int64_t j = 0; j < d.aux[i].numel(); ++j)
        ASSERT_NEAR(f.aux[i].get(j), d.aux[i].get(j), 1e-4 * std::max(1.0, std::abs(d.aux[i].get(j)))) << c.name;
  }
}

TEST(BatchNorm, RunningStatisticsUpdate) {
  BatchNormAttrs a;
  a.channels = 2;
  a.momentum = 0.25;
  OpHarness h(a, {Shape{2, 2, 1, 2}}, DType::f64);
  // channel 0 values {1, 2, 3, 4}: mean 2.5, biased var 1.25, unbiased 5/3; channel 1 values {0, 0, 2, 2}.
  const double x[] = {1, 2, 0, 0, 3, 4, 2, 2};
  for (int i = 0; i < 8; ++i) h.src[0].set(i, x[i]);
  for (int c = 0; c < 2; ++c) {
    h.weights[0].set(c, 1.0), h.weights[1].set(c, 0.0);
    h.state[0].set(c, 1.0), h.state[1].set(c, 2.0);
  }
  h.fwd();
  EXPECT_DOUBLE_EQ(h.state[0].get(0), 0.75 * 1.0 + 0.25 * 2.5);
  EXPECT_DOUBLE_EQ(h.state[1].get(0), 0.75 * 2.0 + 0.25 * (5.0 / 3.0));
  EXPECT_DOUBLE_EQ(h.state[0].get(1), 0.75 * 1.0 + 0.25 * 1.0);
  EXPECT_DOUBLE_EQ(h.state[1].get(1), 0.75 * 2.0 + 0.25 * (4.0 / 3.0));
  EXPECT_DOUBLE_EQ(h.aux[0].get(0), 2.5);
  EXPECT_NEAR(h.aux[1].get(0), 1.0 / std::sqrt(1.25 + 1e-5), 1e-15);
  EXPECT_NEAR(h.dst.get(0), (1 - 2.5) / std::sqrt(1.25 + 1e-5), 1e-12);

  // Eval: normalises with the running statistics and leaves them alone; aux comes from them.
  OpHarness e(a, {Shape{2, 2, 1, 2}}, DType::f32, false);
  for (int i = 0; i < 8; ++i) e.src[0].set(i, x[i]);
  for (int c = 0; c < 2; ++c) {
    e.weights[0].set(c, 2.0), e.weights[1].set(c, 0.5);
    e.state[0].set(c, 1.0), e.state[1].set(c, 3.0);
  }
  e.fwd();
  EXPECT_EQ(e.state[0].get(0), 1.0);
  EXPECT_EQ(e.state[1].get(0), 3.0);
  EXPECT_NEAR(e.dst.get(5), (4 - 1.0) / std::sqrt(3.0 + 1e-5) * 2.0 + 0.5, 1e-5);
  EXPECT_NEAR(e.aux[1].get(1), 1.0 / std::sqrt(3.0 + 1e-5), 1e-6);
}

TEST(Dropout, MaskDeterministicAndRate) {
  const double p = 0.3;
  OpHarness a(DropoutAttrs{p}, {Shape{4, 25000}}, DType::f32), b(DropoutAttrs{p}, {Shape{4, 25000}}, DType::f32);
  a.fill(1);
  b.fill(1);
  a.step_seed = b.step_seed = 77;
  a.fwd();
  b.fwd();
  int64_t kept = 0;
  for (int64_t i = 0; i < a.dst.numel(); ++i) {
    ASSERT_EQ(a.aux[0].get(i), b.aux[0].get(i));
    const double m = a.aux[0].get(i);
    ASSERT_TRUE(m == 0 || m == 1);
    kept += m == 1;
    ASSERT_FLOAT_EQ(static_cast<float>(a.dst.get(i)), static_cast<float>(a.src[0].get(i) * m / (1 - p)));
  }
  const double rate = static_cast<double>(kept) / static_cast<double>(a.dst.numel());
  EXPECT_NEAR(rate, 1 - p, 0.01);  // 100k Bernoulli draws: sd ~0.0015
  b.step_seed = 78;
  b.fwd();
  int64_t same = 0;
  for (int64_t i = 0; i < a.dst.numel(); ++i) same += a.aux[0].get(i) == b.aux[0].get(i);
  EXPECT_LT(same, a.dst.numel() * 0.7);  // independent masks agree on ~58%

  OpHarness e(DropoutAttrs{p}, {Shape{2, 10}}, DType::f32, false);
  e.fill(2);
  e.fwd();
  for (int64_t i = 0; i < e.dst.numel(); ++i) EXPECT_EQ(e.dst.get(i), e.src[0].get(i));
}

// Stochastic depth: one draw per image, its whole tensor kept (scaled) or zeroed, in both passes.
TEST(Dropout, PerSampleDropsWholeImages) {
  const double p = 0.4;
  const int64_t images = 4000, per_image = 6;
  OpHarness h(DropoutAttrs{p, true}, {Shape{images, 2, 1, 3}}, DType::f64);
  ASSERT_EQ(h.aux[0].numel(), images);
  h.fill(3);
  for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, 0.5 + static_cast<double>(i % 7));
  h.step_seed = 5;
  h.fwd();
  h.bwd_data();
  int64_t kept = 0;
  for (int64_t b = 0; b < images; ++b) {
    const double m = h.aux[0].get(b);
    ASSERT_TRUE(m == 0 || m == 1);
    kept += m == 1;
    for (int64_t i = b * per_image; i < (b + 1) * per_image; ++i) {
      ASSERT_DOUBLE_EQ(h.dst.get(i), h.src[0].get(i) * m / (1 - p)) << i;
      ASSERT_DOUBLE_EQ(h.diff_src[0].get(i), h.diff_dst.get(i) * m / (1 - p)) << i;
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / images, 1 - p, 0.03);  // 4000 draws: sd ~0.008
}

// A [1, 2, 2, 2] tensor times a [1, 2, 1, 1] gate: each channel scaled; the gate's gradient sums its
// plane of dy * a, the tensor's is dy times its channel's gate.
TEST(Mul, ChannelGateHandComputed) {
  for (DType t : {DType::f32, DType::f64}) {
    OpHarness h(MulAttrs{}, {Shape{1, 2, 2, 2}, Shape{1, 2, 1, 1}}, t);
    const double a[] = {1, 2, 3, 4, -1, 0.5, 2, -3}, gate[] = {2, -0.5}, dy[] = {1, 0, -1, 2, 4, 1, 0, -2};
    for (int i = 0; i < 8; ++i) h.src[0].set(i, a[i]), h.diff_dst.set(i, dy[i]);
    h.src[1].set(0, gate[0]);
    h.src[1].set(1, gate[1]);
    h.fwd();
    const double y[] = {2, 4, 6, 8, 0.5, -0.25, -1, 1.5};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(h.dst.get(i), y[i]) << i;
    h.bwd_data();
    const double da[] = {2, 0, -2, 4, -2, -0.5, 0, 1};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(h.diff_src[0].get(i), da[i]) << i;
    EXPECT_EQ(h.diff_src[1].get(0), 1 * 1 + 2 * 0 + 3 * -1 + 4 * 2);      // 6
    EXPECT_EQ(h.diff_src[1].get(1), -1 * 4 + 0.5 * 1 + 2 * 0 + -3 * -2);  // 2.5
  }
  EXPECT_THROW(infer_shape(MulAttrs{}, std::vector<Shape>{Shape{1, 2, 2, 2}, Shape{1, 2, 2, 1}}), Error);
}

// Channel values are their index (one 1x2 map each, the second element negated): the permutation can
// be read off the output.
TEST(ChannelShuffle, PermutationHandComputed) {
  for (DType t : {DType::f32, DType::f64}) {
    OpHarness h(ChannelShuffleAttrs{2}, {Shape{1, 6, 1, 2}}, t);
    for (int c = 0; c < 6; ++c) h.src[0].set(2 * c, c), h.src[0].set(2 * c + 1, -c), h.diff_dst.set(2 * c, 10 + c);
    h.fwd();
    const int order[] = {0, 3, 1, 4, 2, 5};  // groups {0, 1, 2} and {3, 4, 5}, interleaved
    for (int c = 0; c < 6; ++c) {
      EXPECT_EQ(h.dst.get(2 * c), order[c]) << c;
      EXPECT_EQ(h.dst.get(2 * c + 1), -order[c]) << c;
    }
    h.bwd_data();  // diff_src[order[c]] = diff_dst[c]
    for (int c = 0; c < 6; ++c) EXPECT_EQ(h.diff_src[0].get(2 * order[c]), 10 + c) << c;
  }
  EXPECT_THROW(infer_shape(ChannelShuffleAttrs{4}, std::vector<Shape>{Shape{1, 6, 2, 2}}), Error);
  EXPECT_THROW(infer_shape(ChannelShuffleAttrs{0}, std::vector<Shape>{Shape{1, 6, 2, 2}}), Error);
}

TEST(ChannelSlice, CopiesRangeAndZerosGradientOutside) {
  for (DType t : {DType::f32, DType::f64}) {
    OpHarness h(ChannelSliceAttrs{1, 3}, {Shape{2, 4, 1, 1}}, t);
    for (int i = 0; i < 8; ++i) h.src[0].set(i, i + 1);
    for (int i = 0; i < 4; ++i) h.diff_dst.set(i, -(i + 1));
    for (int i = 0; i < 8; ++i) h.diff_src[0].set(i, 99);  // every element is overwritten
    h.fwd();
    const double y[] = {2, 3, 6, 7};
    for (int i = 0; i < 4; ++i) EXPECT_EQ(h.dst.get(i), y[i]) << i;
    h.bwd_data();
    const double dx[] = {0, -1, -2, 0, 0, -3, -4, 0};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(h.diff_src[0].get(i), dx[i]) << i;
  }
  for (auto [b, e] : {std::pair{0, 0}, {2, 1}, {-1, 2}, {0, 5}})
    EXPECT_THROW(infer_shape(ChannelSliceAttrs{b, e}, std::vector<Shape>{Shape{1, 4, 2, 2}}), Error) << b << " " << e;
}

TEST(SoftmaxCrossEntropy, HandComputed) {
  OpHarness h(SoftmaxCrossEntropyAttrs{}, {Shape{2, 3}, Shape{2}}, DType::f64);
  const double x[] = {1, 2, 3, 1000, 1000, 999};  // the second row overflows exp without the max shift
  for (int i = 0; i < 6; ++i) h.src[0].set(i, x[i]);
  h.src[1].set(0, 2);
  h.src[1].set(1, 0);
  h.fwd();
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  const double l1 = std::log(2.0 + std::exp(-1.0));
  EXPECT_NEAR(h.dst.get(0), (l0 + l1) / 2, 1e-12);
  EXPECT_EQ(h.aux[0].get(0), 2);
  EXPECT_EQ(h.aux[0].get(1), 0);  // first maximum wins
  h.diff_dst.set(0, 123.0);       // ignored
  h.bwd_data();
  const double s0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(h.diff_src[0].get(0), std::exp(1.0) / s0 / 2, 1e-12);
  EXPECT_NEAR(h.diff_src[0].get(2), (std::exp(3.0) / s0 - 1) / 2, 1e-12);
  EXPECT_NEAR(h.diff_src[0].get(3), (1 / (2 + std::exp(-1.0)) - 1) / 2, 1e-12);
}

// Pointwise: y and dx against the formulas written out here, in f32 and f64.
double pointwise_y(const PointwiseAttrs& a, double x) {
  const double t = std::clamp(a.alpha * x + a.beta, 0.0, 1.0);
  switch (a.fn) {
    case PointwiseFn::leaky_relu: return x >= 0 ? x : a.alpha * x;
    case PointwiseFn::sigmoid: return 1 / (1 + std::exp(-x));
    case PointwiseFn::hard_sigmoid: return t;
    case PointwiseFn::hard_swish: return x * t;
    case PointwiseFn::scale: return a.alpha * x;
    case PointwiseFn::silu: return x / (1 + std::exp(-x));
  }
  return 0;
}
// d y / d x with PyTorch's values at the kinks (leaky_relu: alpha at 0; hardsigmoid: 0 at both ends;
// hardswish: the middle piece at both ends, as x < -3 / x <= 3 / else).
double pointwise_dydx(const PointwiseAttrs& a, double x) {
  const double t = a.alpha * x + a.beta;
  switch (a.fn) {
    case PointwiseFn::leaky_relu: return x > 0 ? 1 : a.alpha;
    case PointwiseFn::sigmoid: return pointwise_y(a, x) * (1 - pointwise_y(a, x));
    case PointwiseFn::hard_sigmoid: return t > 0 && t < 1 ? a.alpha : 0;
    case PointwiseFn::hard_swish: return t < 0 ? 0 : (t <= 1 ? 2 * a.alpha * x + a.beta : 1);
    case PointwiseFn::scale: return a.alpha;
    case PointwiseFn::silu: {  // d/dx x s(x) = s + x s (1 - s)
      const double s = 1 / (1 + std::exp(-x));
      return s + x * s * (1 - s);
    }
  }
  return 0;
}

const PointwiseAttrs kPointwiseCases[] = {
    {PointwiseFn::leaky_relu, 0.01, 0.0},  {PointwiseFn::leaky_relu, 0.1, 0.0},
    {PointwiseFn::sigmoid, 0.0, 0.0},      {PointwiseFn::hard_sigmoid, 1.0 / 6, 0.5},
    {PointwiseFn::hard_sigmoid, 0.2, 0.5}, {PointwiseFn::hard_swish, 1.0 / 6, 0.5},
    {PointwiseFn::hard_swish, 0.2, 0.5},   {PointwiseFn::scale, -0.7, 0.0},
    {PointwiseFn::silu, 0.0, 0.0},
};

TEST(Pointwise, MatchesFormula) {
  for (const PointwiseAttrs& a : kPointwiseCases)
    for (DType t : {DType::f32, DType::f64}) {
      SCOPED_TRACE(std::string(pointwise_name(a.fn)) + " alpha " + std::to_string(a.alpha) + " " +
                   std::string(dtype_info(t).name));
      OpHarness h(a, {Shape{2, 3, 4, 5}}, t);
      h.fill(4, Fill::pointwise_safe);
      h.fwd();
      for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, std::cos(static_cast<double>(i)));
      h.bwd_data();
      const double tol = t == DType::f32 ? 1e-6 : 1e-14;
      for (int64_t i = 0; i < h.dst.numel(); ++i) {
        const double x = h.src[0].get(i), dy = h.diff_dst.get(i);
        ASSERT_NEAR(h.dst.get(i), pointwise_y(a, x), tol * std::max(1.0, std::abs(x))) << "x = " << x;
        ASSERT_NEAR(h.diff_src[0].get(i), dy * pointwise_dydx(a, x), tol * std::max(1.0, std::abs(x))) << "x = " << x;
      }
    }
}

// The gradient conventions at the kinks themselves (finite differences cannot see them), on values
// where alpha * x + beta is exact: PyTorch's hardswish_backward gives x / 3 + 0.5 at x = -3 and 3.
TEST(Pointwise, GradientAtKinks) {
  struct Kink {
    PointwiseAttrs a;
    double x, dydx;
  };
  const Kink kinks[] = {
      {{PointwiseFn::leaky_relu, 0.1, 0.0}, 0.0, 0.1},        {{PointwiseFn::leaky_relu, 0.1, 0.0}, 1e-300, 1.0},
      {{PointwiseFn::hard_sigmoid, 0.25, 0.5}, -2.0, 0.0},    {{PointwiseFn::hard_sigmoid, 0.25, 0.5}, 2.0, 0.0},
      {{PointwiseFn::hard_sigmoid, 1.0 / 6, 0.5}, -3.0, 0.0}, {{PointwiseFn::hard_sigmoid, 1.0 / 6, 0.5}, 3.0, 0.0},
      {{PointwiseFn::hard_swish, 0.25, 0.5}, -2.0, -0.5},     {{PointwiseFn::hard_swish, 0.25, 0.5}, 2.0, 1.5},
      {{PointwiseFn::hard_swish, 1.0 / 6, 0.5}, -3.0, -0.5},  {{PointwiseFn::hard_swish, 1.0 / 6, 0.5}, 3.0, 1.5},
      {{PointwiseFn::hard_swish, 1.0 / 6, 0.5}, -3.001, 0.0}, {{PointwiseFn::hard_swish, 1.0 / 6, 0.5}, 3.001, 1.0},
  };
  for (const Kink& k : kinks) {
    OpHarness h(k.a, {Shape{1}}, DType::f64);
    h.src[0].set(0, k.x);
    h.fwd();
    h.diff_dst.set(0, 2.0);
    h.bwd_data();
    EXPECT_NEAR(h.diff_src[0].get(0), 2.0 * k.dydx, 1e-12) << pointwise_name(k.a.fn) << " at x = " << k.x;
  }
}

// Backward reads only what op_def::reads declares (the others are passed empty) and may write
// diff_src over diff_dst; forward may write dst over src where forward_in_place says so.
TEST(Pointwise, ReadsDeclaredAndInPlace) {
  for (const PointwiseAttrs& a : kPointwiseCases) {
    SCOPED_TRACE(pointwise_name(a.fn));
    OpHarness h(a, {Shape{3, 40}}, DType::f32);
    h.fill(6, Fill::pointwise_safe);
    h.fwd();
    for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, std::sin(static_cast<double>(i)));
    h.bwd_data();

    const BackwardReads r = backward_reads(a, Pass::bwd_data);
    EXPECT_FALSE(r.aux);
    EXPECT_TRUE(backward_in_place(a));
    EXPECT_EQ(forward_in_place(a), !r.src);
    EXPECT_EQ(op_name(a), "Pointwise");
    std::unique_ptr<Kernel> k = select_kernel(h.problem(Pass::bwd_data), KernelBackend::reference);
    KernelArgs args = h.args();
    if (!r.src) args.src[0] = TensorView{};
    if (!r.dst) args.dst = TensorView{};
    Tensor g(h.diff_dst.view.shape, DType::f32);  // diff_dst, then diff_src over it
    for (int64_t i = 0; i < g.numel(); ++i) g.set(i, h.diff_dst.get(i));
    args.diff_dst = g.view;
    args.diff_src[0] = g.view;
    k->execute(args);
    for (int64_t i = 0; i < g.numel(); ++i) ASSERT_EQ(g.get(i), h.diff_src[0].get(i)) << i;

    if (!forward_in_place(a)) continue;
    Tensor x(h.src[0].view.shape, DType::f32);
    for (int64_t i = 0; i < x.numel(); ++i) x.set(i, h.src[0].get(i));
    KernelArgs f = h.args();
    f.src[0] = f.dst = x.view;
    select_kernel(h.problem(Pass::fwd), KernelBackend::reference)->execute(f);
    for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(x.get(i), h.dst.get(i)) << i;
  }
}

// HardSigmoid has no oneDNN 2.6 form: auto selection falls back to the reference (the functions oneDNN
// has run there: onednn_kernels_test's PointwiseFunctions).
TEST(Registry, PointwiseFallsBackToReference) {
  KernelProblem p;
  p.attrs = PointwiseAttrs{PointwiseFn::hard_sigmoid, 1.0 / 6, 0.5};
  p.src = {Shape{2, 3, 4, 4}};
  p.dst = Shape{2, 3, 4, 4};
  for (Pass pass : {Pass::fwd, Pass::bwd_data}) {
    p.pass = pass;
    EXPECT_EQ(select_kernel(p)->impl_name(), "ref");
  }
  EXPECT_EQ(pointwise_name(PointwiseFn::hard_swish), "HardSwish");
  EXPECT_EQ(pointwise_name(PointwiseFn::hard_sigmoid), "HardSigmoid");
  EXPECT_EQ(infer_shape(p.attrs, p.src), p.dst);
  EXPECT_THROW(infer_shape(p.attrs, std::vector<Shape>{p.dst, p.dst}), Error);
}

TEST(MaxPool, FirstMaximumWinsAndIndices) {
  MaxPoolAttrs a;  // 2x2 stride 2
  OpHarness h(a, {Shape{1, 1, 2, 4}}, DType::f32);
  const double x[] = {5, 5, 1, 2, 5, 0, 3, 3};
  for (int i = 0; i < 8; ++i) h.src[0].set(i, x[i]);
  h.fwd();
  EXPECT_EQ(h.dst.get(0), 5);
  EXPECT_EQ(h.aux[0].get(0), 0);
  EXPECT_EQ(h.dst.get(1), 3);
  EXPECT_EQ(h.aux[0].get(1), 6);
}

TEST(AvgPool, CountIncludePadDivisors) {
  // 1x1x3x3 of ones, kernel 2, stride 2, pad 1, ceil_mode: windows clipped to [-1, 4).
  AvgPoolAttrs a;
  a.pad_h = a.pad_w = 1;
  a.ceil_mode = true;
  OpHarness h(a, {Shape{1, 1, 3, 3}}, DType::f64);
  for (int i = 0; i < 9; ++i) h.src[0].set(i, 1.0);
  h.fwd();
  ASSERT_EQ(h.dst.view.shape, (Shape{1, 1, 2, 2}));
  // Window (0,0) covers rows/cols [-1,1): 4 padded cells, 1 real one.
  EXPECT_DOUBLE_EQ(h.dst.get(0), 0.25);
  // Window (1,1) covers [1,3) x [1,3): all real.
  EXPECT_DOUBLE_EQ(h.dst.get(3), 1.0);
  a.count_include_pad = false;
  OpHarness e(a, {Shape{1, 1, 3, 3}}, DType::f64);
  for (int i = 0; i < 9; ++i) e.src[0].set(i, 1.0);
  e.fwd();
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(e.dst.get(i), 1.0);
}

TEST(Elementwise, AddInto) {
  Tensor a(Shape{5}, DType::f32), b(Shape{5}, DType::f32);
  for (int i = 0; i < 5; ++i) a.set(i, i), b.set(i, 10 * i);
  ref::add_into(a.view, b.view);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.get(i), 11 * i);
}

TEST(Registry, SelectsReferenceAndDeclines) {
  KernelProblem p;
  p.attrs = ReluAttrs{};
  p.src = {Shape{2, 3}};
  p.dst = Shape{2, 3};
  auto k = select_kernel(p, KernelBackend::reference);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->impl_name(), "ref");
  EXPECT_EQ(k->scratch_bytes(), 0u);
  p.pass = Pass::bwd_weights;
  EXPECT_THROW(select_kernel(p), Error);
  p.pass = Pass::fwd;
  p.dtype = DType::i32;
  try {
    select_kernel(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ref"), std::string::npos);
  }
  ASSERT_FALSE(kernel_impls().empty());
  EXPECT_EQ(kernel_impls().back().backend, KernelBackend::reference);
}

TEST(Registry, ConvScratchIsBookedPerThread) {
  KernelProblem p;
  p.attrs = conv(3, 4, 3, 1, 1, 1, 1, false);
  p.src = {Shape{2, 3, 5, 5}};
  p.dst = Shape{2, 4, 5, 5};
  auto k = select_kernel(p, KernelBackend::native);
  const std::size_t col = (3 * 9 * 25 * 4 + 63) / 64 * 64;
  EXPECT_EQ(k->scratch_bytes(), col * static_cast<std::size_t>(omp_get_max_threads()));
  p.attrs = conv(3, 3, 3, 1, 1, 1, 3, false);  // depthwise: direct loops
  EXPECT_EQ(select_kernel(p, KernelBackend::native)->scratch_bytes(), 0u);
}

}  // namespace
}  // namespace edgetrain::test
