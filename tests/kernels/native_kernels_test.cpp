// The native backend (edgetrain's own optimised loops) against the reference loops, through the same
// harness as oneDNN (onednn_compare.hpp): im2col + GEMM convolution of every shape class, the GEMM
// linear layer, and what the native backend declines. Its blocked BatchNorm is checked beside oneDNN's
// blocked kernels (onednn_kernels_test.cpp, NativeBlocked).
#include <gtest/gtest.h>

#include "onednn_compare.hpp"

namespace edgetrain::test {
namespace {

constexpr Factory kNative = &make_native_kernel;

TEST(NativeVsRef, Conv2d) {
  for (const ConvCase& c : kConvCases) {
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::plain, kNative);
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false}, Mode::plain, kNative);
  }
  // Pruned widths, a 1x1 map and a batch larger than the threads (per-thread partial weight gradients).
  const ConvCase more[] = {
      {{2, 7, 14, 14}, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},
      {{2, 96, 1, 1}, 96, 3, 3, 1, 1, 1, 1, 1, 1, 96, false},
      {{9, 5, 6, 6}, 3, 3, 3, 2, 2, 0, 0, 1, 1, 1, true},
  };
  for (const ConvCase& c : more)
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::plain, kNative);
}

TEST(NativeVsRef, Linear) {
  LinearAttrs l;
  l.in_features = 10, l.out_features = 7;
  compare(l, {Shape{4, 10}}, true, Fill::uniform, {}, {}, Mode::plain, kNative);
  compare(l, {Shape{4, 10}}, true, Fill::uniform, {}, {true, false}, Mode::plain, kNative);
  l.in_features = 300, l.out_features = 33, l.bias = false;
  compare(l, {Shape{17, 300}}, true, Fill::uniform, {}, {}, Mode::plain, kNative);
}

// Squeeze-and-excitation's gate on blocked16 (a plain one is the reference's; oneDNN declines both).
TEST(NativeBlocked, MulGate) {
  const std::vector<std::vector<Shape>> cases = {{Shape{2, 32, 5, 7}, Shape{2, 32, 1, 1}},
                                                 {Shape{3, 16, 40, 40}, Shape{3, 16, 1, 1}},
                                                 {Shape{2, 32, 3, 3}, Shape{2, 32, 3, 3}},
                                                 {Shape{2, 40, 5, 7}, Shape{2, 40, 1, 1}},  // padding lanes
                                                 {Shape{2, 24, 3, 3}, Shape{2, 24, 3, 3}}};
  for (const auto& shapes : cases) {
    compare_blocked(MulAttrs{}, shapes, true, Fill::uniform, {1e-5, 1e-5, 1e-5}, {}, kNative);
    KernelProblem p;
    p.attrs = MulAttrs{};
    p.src = shapes;
    p.dst = shapes[0];
    std::string why;
    EXPECT_EQ(make_native_kernel(p, why), nullptr) << "plain: the reference's";
    p.src_layout = {Layout::blocked16, Layout::blocked16};
    p.dst_layout = Layout::blocked16;
    for (Pass pass : {Pass::fwd, Pass::bwd_data}) {
      p.pass = pass;
      EXPECT_EQ(make_onednn_kernel(p, why), nullptr);
      std::unique_ptr<Kernel> k = make_native_kernel(p, why);
      ASSERT_NE(k, nullptr) << why;
      EXPECT_EQ(k->backend(), KernelBackend::native);
    }
  }
}

TEST(NativeBackend, DeclinesWhatItDoesNotRun) {
  std::string why;
  const ConvCase& c = kConvCases[0];
  OpHarness conv(conv_attrs(c), {c.x}, DType::f32, true);
  KernelProblem p = conv.problem(Pass::fwd);
  ASSERT_NE(make_native_kernel(p, why), nullptr);
  EXPECT_EQ(make_native_kernel(p, why)->backend(), KernelBackend::native);
  EXPECT_EQ(make_native_kernel(p, why)->algorithm(), Algorithm::native_gemm);
  p.fused_activation = Activation::relu;
  EXPECT_EQ(make_native_kernel(p, why), nullptr);
  p.fused_activation = Activation::none;
  p.dst_layout = Layout::blocked16;
  EXPECT_EQ(make_native_kernel(p, why), nullptr);
  OpHarness f64(conv_attrs(c), {c.x}, DType::f64, true);  // f64 is the reference's
  EXPECT_EQ(make_native_kernel(f64.problem(Pass::fwd), why), nullptr);
  EXPECT_NE(why.find("f64"), std::string::npos) << why;
  OpHarness relu(ReluAttrs{}, {Shape{2, 3, 4, 4}}, DType::f32, true);
  EXPECT_EQ(make_native_kernel(relu.problem(Pass::fwd), why), nullptr);
  EXPECT_NE(why.find("no native kernel"), std::string::npos) << why;
}

}  // namespace
}  // namespace edgetrain::test
