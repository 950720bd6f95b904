// Finite-difference gradient checks, double precision, for every op and both backward passes.
// loss = sum(dst * R) with fixed random R (the loss op itself for SoftmaxCrossEntropy);
// numeric gradient by central differences, h = 1e-6.
#include <gtest/gtest.h>

#include <string>

#include "op_harness.hpp"

namespace edgetrain::test {
namespace {

constexpr double kStep = 1e-6;
constexpr double kTol = 1e-6;

double loss(OpHarness& h, const std::vector<double>& r) {
  h.fwd();
  double l = 0;
  for (int64_t i = 0; i < h.dst.numel(); ++i) l += h.dst.get(i) * r[static_cast<size_t>(i)];
  return l;
}

void check_tensor(OpHarness& h, const std::vector<double>& r, Tensor& t, const Tensor& analytic,
                  const std::string& what) {
  int failures = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double x0 = t.get(i);
    t.set(i, x0 + kStep);
    const double lp = loss(h, r);
    t.set(i, x0 - kStep);
    const double lm = loss(h, r);
    t.set(i, x0);
    const double numeric = (lp - lm) / (2 * kStep);
    const double a = analytic.get(i);
    const double scale = std::max({1.0, std::abs(a), std::abs(numeric)});
    if (std::abs(a - numeric) > kTol * scale && ++failures <= 5)
      ADD_FAILURE() << what << "[" << i << "]: analytic " << a << " vs numeric " << numeric;
  }
}

// Runs fwd + both backward passes, then compares every input and parameter gradient with finite differences.
void gradcheck(OpHarness& h, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const bool is_loss = is<SoftmaxCrossEntropyAttrs>(h.attrs());
  std::vector<double> r(static_cast<size_t>(h.dst.numel()));
  for (double& v : r) v = is_loss ? 1.0 : u(rng);

  h.fwd();
  for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, r[static_cast<size_t>(i)]);
  h.bwd_data();
  if (h.has_params()) h.bwd_weights();
  // Keep the analytic gradients: the finite differences re-run fwd, which rewrites aux.
  std::vector<Tensor> grad_src, grad_w;
  auto copy = [](const Tensor& t) {
    Tensor c(t.view.shape, t.view.dtype);
    std::memcpy(c.view.data, t.view.data, t.view.bytes());
    return c;
  };
  for (const Tensor& t : h.diff_src) grad_src.push_back(copy(t));
  for (const Tensor& t : h.diff_weights) grad_w.push_back(copy(t));

  for (size_t i = 0; i < h.src.size(); ++i)
    if (h.src[i].view.dtype == DType::f64) check_tensor(h, r, h.src[i], grad_src[i], "diff_src" + std::to_string(i));
  for (size_t i = 0; i < h.weights.size(); ++i)
    check_tensor(h, r, h.weights[i], grad_w[i], "diff_weights" + std::to_string(i));
}

void gradcheck(Attrs attrs, std::vector<Shape> src, Fill fill = Fill::uniform, bool training = true) {
  OpHarness h(std::move(attrs), std::move(src), DType::f64, training);
  h.fill(11, fill);
  gradcheck(h);
}

TEST(GradCheck, Conv2dStridePad) { gradcheck(conv(3, 4, 3, 2, 1, 1, 1, true), {Shape{2, 3, 7, 7}}); }
TEST(GradCheck, Conv2dDilation) { gradcheck(conv(3, 2, 3, 1, 2, 2, 1, false), {Shape{2, 3, 7, 7}}); }
TEST(GradCheck, Conv2dGroups) { gradcheck(conv(6, 9, 3, 1, 1, 1, 3, true), {Shape{2, 6, 5, 5}}); }
TEST(GradCheck, Conv2dDepthwise) { gradcheck(conv(3, 3, 3, 2, 1, 1, 3, true), {Shape{2, 3, 7, 7}}); }
TEST(GradCheck, Conv2dDepthwiseMultiplierDilated) { gradcheck(conv(3, 6, 3, 1, 2, 2, 3, false), {Shape{2, 3, 5, 5}}); }
TEST(GradCheck, Conv2dPointwise) { gradcheck(conv(3, 5, 1, 1, 0, 1, 1, true), {Shape{2, 3, 5, 5}}); }
TEST(GradCheck, Conv2dPointwiseStrided) { gradcheck(conv(3, 4, 1, 2, 0, 1, 1, false), {Shape{3, 3, 5, 5}}); }
TEST(GradCheck, Conv2dSingleImage) { gradcheck(conv(3, 4, 3, 1, 1, 1, 1, true), {Shape{1, 3, 5, 5}}); }
TEST(GradCheck, Conv2dOddBatchAsymmetric) {
  Conv2dAttrs a = conv(2, 3, 3, 1, 1, 1, 1, true);
  a.kernel_w = 2, a.stride_w = 2, a.pad_w = 0, a.dilation_h = 2, a.pad_h = 2;
  gradcheck(a, {Shape{3, 2, 6, 7}});
}

BatchNormAttrs bn(int64_t c) {
  BatchNormAttrs a;
  a.channels = c;
  return a;
}
TEST(GradCheck, BatchNormTraining4d) { gradcheck(bn(3), {Shape{2, 3, 5, 5}}); }
TEST(GradCheck, BatchNormTraining2d) { gradcheck(bn(3), {Shape{4, 3}}); }
TEST(GradCheck, BatchNormEval) { gradcheck(bn(3), {Shape{2, 3, 5, 5}}, Fill::uniform, false); }

TEST(GradCheck, Relu) { gradcheck(ReluAttrs{}, {Shape{2, 3, 5, 5}}, Fill::relu_safe); }
TEST(GradCheck, Relu6) { gradcheck(Relu6Attrs{}, {Shape{2, 3, 5, 5}}, Fill::relu6_safe); }

MaxPoolAttrs maxpool(int k, int s, int p, bool ceil) {
  MaxPoolAttrs a;
  a.kernel_h = a.kernel_w = k, a.stride_h = a.stride_w = s, a.pad_h = a.pad_w = p, a.ceil_mode = ceil;
  return a;
}
TEST(GradCheck, MaxPoolPadded) { gradcheck(maxpool(3, 2, 1, false), {Shape{2, 3, 7, 7}}, Fill::distinct); }
TEST(GradCheck, MaxPoolCeil) { gradcheck(maxpool(2, 2, 0, true), {Shape{2, 3, 5, 5}}, Fill::distinct); }
TEST(GradCheck, MaxPoolCeilPadded) { gradcheck(maxpool(3, 2, 1, true), {Shape{2, 3, 6, 6}}, Fill::distinct); }

AvgPoolAttrs avgpool(int k, int s, int p, bool ceil, bool include_pad) {
  AvgPoolAttrs a;
  a.kernel_h = a.kernel_w = k, a.stride_h = a.stride_w = s, a.pad_h = a.pad_w = p;
  a.ceil_mode = ceil, a.count_include_pad = include_pad;
  return a;
}
TEST(GradCheck, AvgPoolIncludePad) { gradcheck(avgpool(3, 2, 1, false, true), {Shape{2, 3, 7, 7}}); }
TEST(GradCheck, AvgPoolExcludePad) { gradcheck(avgpool(3, 2, 1, false, false), {Shape{2, 3, 7, 7}}); }
TEST(GradCheck, AvgPoolCeil) { gradcheck(avgpool(3, 2, 1, true, true), {Shape{2, 3, 6, 6}}); }
TEST(GradCheck, AvgPoolCeilExcludePad) { gradcheck(avgpool(2, 2, 0, true, false), {Shape{2, 3, 5, 5}}); }

TEST(GradCheck, GlobalAvgPool) { gradcheck(GlobalAvgPoolAttrs{}, {Shape{2, 3, 5, 5}}); }

TEST(GradCheck, Linear) { gradcheck(LinearAttrs{7, 5, true}, {Shape{3, 7}}); }
TEST(GradCheck, LinearNoBias) { gradcheck(LinearAttrs{7, 5, false}, {Shape{3, 7}}); }

TEST(GradCheck, Add) { gradcheck(AddAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 3, 5, 5}}); }
TEST(GradCheck, Mul) { gradcheck(MulAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 3, 5, 5}}); }
TEST(GradCheck, MulChannelGate) { gradcheck(MulAttrs{}, {Shape{2, 3, 5, 4}, Shape{2, 3, 1, 1}}); }
TEST(GradCheck, Concat) { gradcheck(ConcatAttrs{}, {Shape{2, 3, 5, 5}, Shape{2, 2, 5, 5}, Shape{2, 1, 5, 5}}); }
TEST(GradCheck, ChannelSlice) { gradcheck(ChannelSliceAttrs{1, 4}, {Shape{2, 5, 3, 3}}); }
TEST(GradCheck, ChannelShuffle) { gradcheck(ChannelShuffleAttrs{3}, {Shape{2, 6, 3, 2}}); }
TEST(GradCheck, Flatten) { gradcheck(FlattenAttrs{}, {Shape{2, 3, 2, 3}}); }
TEST(GradCheck, DropoutTraining) { gradcheck(DropoutAttrs{0.3}, {Shape{2, 3, 5, 5}}); }
TEST(GradCheck, DropoutPerSample) { gradcheck(DropoutAttrs{0.5, true}, {Shape{6, 2, 3, 2}}); }
TEST(GradCheck, DropoutEval) { gradcheck(DropoutAttrs{0.3}, {Shape{2, 3, 5, 5}}, Fill::uniform, false); }
TEST(GradCheck, SoftmaxCrossEntropy) { gradcheck(SoftmaxCrossEntropyAttrs{}, {Shape{4, 5}, Shape{4}}); }

// Pointwise functions over (-4, 4), clear of their kinks; PyTorch's parameters and others.
void gradcheck(PointwiseFn fn, double alpha, double beta, std::vector<Shape> src = {Shape{2, 3, 5, 5}}) {
  SCOPED_TRACE(std::string(pointwise_name(fn)) + " alpha " + std::to_string(alpha) + " beta " + std::to_string(beta));
  gradcheck(PointwiseAttrs{fn, alpha, beta}, std::move(src), Fill::pointwise_safe);
}
TEST(GradCheck, PointwiseLeakyRelu) {
  gradcheck(PointwiseFn::leaky_relu, 0.01, 0.0);
  gradcheck(PointwiseFn::leaky_relu, 0.1, 0.0, {Shape{3, 7}});
}
TEST(GradCheck, PointwiseSigmoid) {
  gradcheck(PointwiseFn::sigmoid, 0.0, 0.0);
  gradcheck(PointwiseFn::sigmoid, 0.0, 0.0, {Shape{3, 7}});
}
TEST(GradCheck, PointwiseHardSigmoid) {
  gradcheck(PointwiseFn::hard_sigmoid, 1.0 / 6, 0.5);
  gradcheck(PointwiseFn::hard_sigmoid, 0.2, 0.5, {Shape{3, 7}});
}
TEST(GradCheck, PointwiseHardSwish) {
  gradcheck(PointwiseFn::hard_swish, 1.0 / 6, 0.5);
  gradcheck(PointwiseFn::hard_swish, 0.2, 0.5, {Shape{3, 7}});
}
TEST(GradCheck, PointwiseSiLU) {
  gradcheck(PointwiseFn::silu, 0.0, 0.0);
  gradcheck(PointwiseFn::silu, 0.0, 0.0, {Shape{3, 7}});
}
TEST(GradCheck, PointwiseScale) {
  gradcheck(PointwiseFn::scale, -0.7, 0.0);
  gradcheck(PointwiseFn::scale, 2.5, 0.0, {Shape{3, 7}});
}

// Frozen parameters: an empty diff_weights view is skipped, the others still match the full run.
TEST(GradCheck, FrozenWeightStillGivesBias) {
  for (Attrs attrs : {Attrs{conv(3, 4, 3, 2, 1, 1, 1, true)}, Attrs{conv(3, 3, 3, 1, 1, 1, 3, true)},
                      Attrs{LinearAttrs{7, 5, true}}, Attrs{bn(3)}}) {
    std::vector<Shape> shape = is<LinearAttrs>(attrs) ? std::vector<Shape>{Shape{3, 7}} : std::vector<Shape>{Shape{2, 3, 5, 5}};
    OpHarness full(attrs, shape, DType::f64), part(attrs, shape, DType::f64);
    full.fill(3);
    part.fill(3);
    for (OpHarness* h : {&full, &part}) {
      h->fwd();
      for (int64_t i = 0; i < h->diff_dst.numel(); ++i) h->diff_dst.set(i, std::sin(static_cast<double>(i)));
    }
    full.bwd_weights();
    part.frozen = {true, false};
    part.diff_weights[0].set(0, 12345.0);  // must stay untouched
    part.bwd_weights();
    EXPECT_EQ(part.diff_weights[0].get(0), 12345.0) << op_name(attrs);
    for (int64_t i = 0; i < full.diff_weights[1].numel(); ++i)
      EXPECT_NEAR(part.diff_weights[1].get(i), full.diff_weights[1].get(i), 1e-12) << op_name(attrs);
  }
}

}  // namespace
}  // namespace edgetrain::test
