// bf16 kernels against the bf16 reference. Both get the same bf16 inputs and f32 weights; the
// reference (the reference backend's f32 loops behind the converting kernel, converting_kernel.hpp)
// rounds the weights of a convolution or linear layer to bf16, sums in double and rounds each output
// once. A correct bf16 kernel differs from it only by
//   - the final rounding: one bf16 ulp, at most 2^-7 |y|;
//   - its f32 summation: below 2^-12 of the magnitude sum_i |x_i w_i| of a multiply-accumulate output
//     (K 2^-24 for the K <= 4096 terms summed here), computed exactly by running the reference on the
//     inputs' absolute values; for element-wise, pooling and normalisation ops 1e-4 of the tensor's
//     largest magnitude (their f32 tolerance against the reference in onednn_kernels_test).
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/converting_kernel.hpp"
#include "op_harness.hpp"

namespace edgetrain::test {
namespace {

struct Case {
  const char* name;
  Attrs attrs;
  std::vector<Shape> x;
  Fill fill = Fill::uniform;
};

bool multiply_accumulates(const Attrs& a) { return is<Conv2dAttrs>(a) || is<LinearAttrs>(a); }

std::vector<Pass> passes_of(const OpHarness& h) {
  std::vector<Pass> p{Pass::fwd, Pass::bwd_data};
  if (h.has_params()) p.push_back(Pass::bwd_weights);
  return p;
}

// Runs the passes on `h` with kernels from `backend`; returns the implementations used.
std::vector<std::unique_ptr<Kernel>> run_passes(OpHarness& h, BackendChoice backend) {
  std::vector<std::unique_ptr<Kernel>> kernels;
  for (Pass pass : passes_of(h)) {
    std::unique_ptr<Kernel> k = select_kernel(h.problem(pass), backend);
    AlignedBuffer scratch(k->scratch_bytes());
    KernelArgs a = h.args();
    a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
    k->execute(a);
    kernels.push_back(std::move(k));
  }
  return kernels;
}

void fill(OpHarness& h, const Case& c, bool absolute) {
  h.fill(11, c.fill);
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, u(rng));
  if (!absolute) return;
  const auto abs_all = [](Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) t.set(i, std::abs(t.get(i)));
  };
  for (Tensor& t : h.src) abs_all(t);
  for (Tensor& t : h.weights) abs_all(t);
  abs_all(h.diff_dst);
}

double largest(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::abs(t.get(i)));
  return m;
}

void expect_close(const Tensor& fast, const Tensor& ref, const Tensor* magnitude, const std::string& what) {
  ASSERT_EQ(fast.numel(), ref.numel());
  const double floor = 1e-4 * largest(ref);
  int64_t bad = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double r = ref.get(i), f = fast.get(i);
    const double tol = std::ldexp(std::abs(r), -7) + (magnitude ? std::ldexp(magnitude->get(i), -12) : floor);
    if (!(std::abs(f - r) <= tol) && bad++ < 3) ADD_FAILURE() << what << "[" << i << "]: " << f << " vs " << r;
  }
  EXPECT_EQ(bad, 0) << what;
}

void compare_with_reference(const Case& c) {
  SCOPED_TRACE(c.name);
  OpHarness fast(c.attrs, c.x, DType::bf16), ref(c.attrs, c.x, DType::bf16), mag(c.attrs, c.x, DType::bf16);
  fill(fast, c, false);
  fill(ref, c, false);
  fill(mag, c, true);
  const auto kernels = run_passes(fast, std::nullopt);
  for (const auto& k : kernels)
    ASSERT_NE(k->backend(), KernelBackend::reference) << "the fast chain ran the reference: nothing would be tested";
  run_passes(ref, KernelBackend::reference);
  const bool macs = multiply_accumulates(c.attrs);
  if (macs) run_passes(mag, KernelBackend::reference);
  expect_close(fast.dst, ref.dst, macs ? &mag.dst : nullptr, "dst");
  for (size_t i = 0; i < ref.diff_src.size(); ++i)
    expect_close(fast.diff_src[i], ref.diff_src[i], macs ? &mag.diff_src[i] : nullptr, "diff_src");
  for (size_t i = 0; i < ref.diff_weights.size(); ++i)
    expect_close(fast.diff_weights[i], ref.diff_weights[i], macs ? &mag.diff_weights[i] : nullptr, "diff_weights");
}

TEST(Bf16Kernels, MatchTheBf16Reference) {
  const Case cases[] = {
      {"conv 3x3 bias", conv(32, 32, 3, 1, 1, 1, 1, true), {Shape{2, 32, 14, 14}}},
      {"conv 1x1 stride 2", conv(32, 64, 1, 2, 0, 1, 1, false), {Shape{2, 32, 14, 14}}},
      {"conv depthwise", conv(32, 32, 3, 1, 1, 1, 32, false), {Shape{2, 32, 14, 14}}},
      {"conv 7x7 stride 2, 3 channels", conv(3, 16, 7, 2, 3, 1, 1, false), {Shape{2, 3, 32, 32}}},
      {"linear", LinearAttrs{64, 10, true}, {Shape{4, 64}}},
      {"max pool", MaxPoolAttrs{3, 3, 2, 2, 1, 1, false}, {Shape{2, 32, 14, 14}}, Fill::distinct},
      {"global avg pool", GlobalAvgPoolAttrs{}, {Shape{2, 32, 7, 7}}},
      {"relu", ReluAttrs{}, {Shape{2, 32, 8, 8}}, Fill::relu_safe},
      {"add", AddAttrs{}, {Shape{2, 32, 8, 8}, Shape{2, 32, 8, 8}}},
  };
  for (const Case& c : cases) compare_with_reference(c);
}

// nChw16c index of element (n, c, s) of an [N, C, S] tensor (C a multiple of 16).
int64_t blocked_index(const Shape& x, int64_t i) {
  const int64_t C = x[1], S = x.numel_from(2);
  const int64_t n = i / (C * S), c = i / S % C, s = i % S;
  return ((n * (C / 16) + c / 16) * S + s) * 16 + c % 16;
}

// The tensor's values moved between NCHW and nChw16c (to_blocked false: back).
void relayout(Tensor& t, bool to_blocked) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.get(i);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t b = blocked_index(t.view.shape, i);
    if (to_blocked)
      t.set(b, v[static_cast<size_t>(i)]);
    else
      t.set(i, v[static_cast<size_t>(b)]);
  }
}

// The native BatchNorm on blocked16 bf16 activations, every pass, against the bf16 reference on NCHW.
TEST(Bf16Kernels, BlockedBatchNormMatchesTheBf16Reference) {
  const Case c{"batch norm", BatchNormAttrs{32}, {Shape{4, 32, 6, 6}}};
  for (Activation act : {Activation::none, Activation::relu}) {
    OpHarness fast(c.attrs, c.x, DType::bf16), ref(c.attrs, c.x, DType::bf16);
    fill(fast, c, false);
    fill(ref, c, false);
    relayout(fast.src[0], true);
    relayout(fast.diff_dst, true);
    for (Pass pass : passes_of(fast)) {
      KernelProblem p = fast.problem(pass);
      p.src_layout = {Layout::blocked16};
      p.dst_layout = Layout::blocked16;
      p.fused_activation = act;
      std::unique_ptr<Kernel> k = select_kernel(p);
      EXPECT_EQ(k->backend(), KernelBackend::native);
      AlignedBuffer scratch(k->scratch_bytes());
      KernelArgs a = fast.args();
      a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
      k->execute(a);
    }
    relayout(fast.dst, false);
    relayout(fast.diff_src[0], false);
    // The reference: BatchNorm, then the ReLU as its own op (its backward masks where y > 0).
    for (Pass pass : passes_of(ref)) {
      if (act == Activation::relu && pass == Pass::fwd) {
        ref.fwd();
        for (int64_t i = 0; i < ref.dst.numel(); ++i) ref.dst.set(i, std::max(0.0, ref.dst.get(i)));
        continue;
      }
      if (act == Activation::relu && pass == Pass::bwd_data)
        for (int64_t i = 0; i < ref.dst.numel(); ++i)
          if (!(ref.dst.get(i) > 0)) ref.diff_dst.set(i, 0);
      ref.run(pass);
    }
    expect_close(fast.dst, ref.dst, nullptr, "dst");
    expect_close(fast.diff_src[0], ref.diff_src[0], nullptr, "diff_src");
    for (size_t i = 0; i < ref.diff_weights.size(); ++i)
      expect_close(fast.diff_weights[i], ref.diff_weights[i], nullptr, "diff_weights");
  }
}

// A problem whose input is f32 and output bf16 (a bf16 network's first layer) runs a bf16 kernel
// behind conversions, and its result is the reference's for the same problem.
TEST(Bf16Kernels, MixedProblemsConvertAtTheBoundary) {
  const Case c{"first conv", conv(3, 16, 3, 1, 1, 1, 1, false), {Shape{2, 3, 16, 16}}};
  OpHarness f32(c.attrs, c.x, DType::f32), fast(c.attrs, c.x, DType::bf16);
  KernelProblem p = fast.problem(Pass::fwd);
  p.src_dtype = {DType::f32};
  std::unique_ptr<Kernel> k = select_kernel(p);
  ASSERT_NE(dynamic_cast<const ConvertingKernel*>(k.get()), nullptr);
  EXPECT_EQ(k->backend(), KernelBackend::onednn);
  std::unique_ptr<Kernel> r = select_kernel(p, KernelBackend::reference);
  f32.fill(3);
  fast.fill(3);
  OpHarness ref(c.attrs, c.x, DType::bf16);
  ref.fill(3);
  for (auto [h, kernel] : {std::pair{&fast, k.get()}, std::pair{&ref, r.get()}}) {
    KernelArgs a = h->args();
    a.src[0] = f32.src[0].view;  // the f32 input
    AlignedBuffer scratch(kernel->scratch_bytes());
    a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
    kernel->execute(a);
  }
  OpHarness mag(c.attrs, c.x, DType::f32);
  mag.fill(3);
  for (Tensor* t : {&mag.src[0], &mag.weights[0]})
    for (int64_t i = 0; i < t->numel(); ++i) t->set(i, std::abs(t->get(i)));
  mag.fwd();
  expect_close(fast.dst, ref.dst, &mag.dst, "dst");
}

}  // namespace
}  // namespace edgetrain::test
