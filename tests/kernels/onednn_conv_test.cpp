// oneDNN convolutions against the reference (see onednn_compare.hpp): shapes, Winograd, frozen parts,
// odd channel counts, blocked layouts.
#include <gtest/gtest.h>

#include <span>

#include "onednn_compare.hpp"

namespace edgetrain::test {
namespace {

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

// Depthwise convolutions other than 3x3 (EfficientNet's and MobileNetV3's 5x5) have no oneDNN JIT weight
// gradient on blocked layouts, and none of any size on plain ones (channel counts not multiples of 16):
// edgetrain's own loops take it (the forward and bwd_data stay oneDNN's jit_dw), for every stride,
// padding and dilation, with a bias, a fused activation, or the bias alone.
TEST(OnednnVsRef, DepthwiseWeightGradient) {
  const ConvCase blocked[] = {
      {{2, 32, 9, 9}, 32, 5, 5, 1, 1, 2, 2, 1, 1, 32, false},     // EfficientNet's 5x5
      {{2, 48, 10, 11}, 48, 5, 5, 2, 2, 2, 2, 1, 1, 48, true},    // stride 2, bias, odd width
      {{1, 16, 7, 7}, 16, 3, 3, 1, 1, 2, 2, 2, 2, 16, false},     // dilated 3x3
      {{2, 32, 6, 5}, 32, 7, 7, 1, 1, 3, 3, 1, 1, 32, true},      // a 7x7 wider than the map
      {{3, 16, 7, 6}, 16, 5, 5, 2, 1, 0, 1, 1, 1, 16, false},     // no padding on rows
  };
  const ConvCase plain[] = {
      {{2, 24, 9, 9}, 24, 5, 5, 1, 1, 2, 2, 1, 1, 24, false},     // MobileNetV3's 72 and 120 are not /16
      {{2, 12, 10, 11}, 12, 5, 5, 2, 2, 2, 2, 1, 1, 12, true},    // pruned, stride 2, bias
      {{1, 7, 8, 8}, 7, 3, 3, 1, 1, 2, 2, 2, 2, 7, false},        // dilated
  };
  for (Mode mode : {Mode::blocked, Mode::plain})
    for (const ConvCase& c : mode == Mode::blocked ? std::span<const ConvCase>(blocked) : std::span<const ConvCase>(plain)) {
      const std::string detail = conv_detail(c, Pass::bwd_weights, mode);
      EXPECT_EQ(detail, mode == Mode::blocked ? "edgetrain:dw_nChw16c" : "edgetrain:dw_nchw_padded")
          << c.x.str() << " " << c.kh << "x" << c.kw;
      compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, mode);
    }
  compare(conv_attrs(blocked[1]), {blocked[1].x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false},
          Mode::blocked);
  compare(conv_attrs(plain[1]), {plain[1].x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false});
  compare_fused(conv_attrs(blocked[0]), blocked[0].x, Activation::relu6, Mode::blocked);
  compare_fused(conv_attrs(plain[0]), plain[0].x, Activation::relu, Mode::plain);
}

// Narrow grouped convolutions (ResNeXt's 4 and 8 channels per group) have no oneDNN JIT kernel: their
// groups are packed into 16-channel ones with block-diagonal filters, which oneDNN's blocked JIT runs in
// every pass (never its naive loops nor its GEMM-based convolution), and which must match the reference.
TEST(OnednnVsRef, NarrowGroupsArePackedIntoJitKernels) {
  const ConvCase cases[] = {
      {{2, 64, 8, 8}, 64, 3, 3, 1, 1, 1, 1, 1, 1, 16, false},    // 4 per group
      {{2, 128, 9, 9}, 128, 3, 3, 2, 2, 1, 1, 1, 1, 16, true},   // 8 per group, stride 2, bias
      {{1, 32, 6, 6}, 32, 3, 3, 1, 1, 2, 2, 2, 2, 16, false},    // 2 per group, dilated
  };
  for (const ConvCase& c : cases) {
    for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
      const std::string detail = conv_detail(c, pass, Mode::blocked);
      EXPECT_TRUE(detail.find("jit") != std::string::npos && detail.find("gemm") == std::string::npos &&
                  detail.find("ref") == std::string::npos)
          << c.x.str() << " groups " << c.groups << " " << pass_name(pass) << ": " << detail;
    }
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::blocked);
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4});
  }
  compare(conv_attrs(cases[1]), {cases[1].x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false}, Mode::blocked);
  compare_fused(conv_attrs(cases[0]), cases[0].x, Activation::relu, Mode::blocked);
}

// Input channel counts that are not multiples of 16 (pruned networks): oneDNN 2.6 has no JIT bwd_data
// or bwd_weights for them, so the factory pads the input channels to 16 in scratch (zero channels, a
// zero-padded filter) and runs its blocked JIT; the padded channels' gradients are dropped. Every pass
// must match the reference, with a bias and a fused activation too.
TEST(OnednnVsRef, OddInputChannelsArePaddedIntoJitKernels) {
  const ConvCase cases[] = {
      {{2, 7, 14, 14}, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},   // pruned ResNet-20: 7 -> 32
      {{2, 11, 7, 7}, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},     // 11 -> 64, bias
      {{2, 21, 9, 9}, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, false},    // 21 (two blocks, one partial), stride 2
  };
  for (const ConvCase& c : cases) {
    for (Pass pass : {Pass::bwd_data, Pass::bwd_weights}) {
      const std::string detail = conv_detail(c, pass, Mode::blocked);
      EXPECT_TRUE(detail.find("gemm") == std::string::npos && detail.find("ref") == std::string::npos &&
                  !detail.starts_with("declined"))
          << c.x.str() << " -> " << c.oc << " " << pass_name(pass) << ": " << detail;
    }
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::blocked);
  }
  compare(conv_attrs(cases[1]), {cases[1].x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {true, false}, Mode::blocked);
  compare_fused(conv_attrs(cases[0]), cases[0].x, Activation::relu, Mode::blocked);
}

// Activations blocked with padding lanes (core/layout.hpp: MobileNetV3's 24 and 40 channels, a pruned
// network's 26): every pass runs a JIT kernel on the blocked tensors as they are (the input channels'
// tail through the zero-padded filter) and matches the reference, whatever the padding lanes hold.
TEST(OnednnVsRef, PaddedBlockedChannelsRunJitKernels) {
  const ConvCase cases[] = {
      {{2, 24, 14, 14}, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},   // 24 -> 40
      {{2, 40, 9, 9}, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1, true},      // 40 -> 24 pointwise, bias
      {{2, 26, 10, 10}, 26, 3, 3, 2, 2, 1, 1, 1, 1, 1, false},   // pruned 26 -> 26, stride 2
      {{2, 72, 9, 9}, 72, 3, 3, 1, 1, 1, 1, 1, 1, 72, false},    // depthwise 72
      {{2, 40, 9, 9}, 40, 5, 5, 2, 2, 2, 2, 1, 1, 40, true},     // depthwise 5x5, stride 2, bias
  };
  for (const ConvCase& c : cases) {
    ASSERT_TRUE(padded(c.x, layout_for(c.x, Mode::blocked)));
    for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
      const std::string detail = conv_detail(c, pass, Mode::blocked);
      EXPECT_TRUE(!detail.starts_with("declined") && detail.find("gemm") == std::string::npos &&
                  detail.find("ref") == std::string::npos)
          << c.x.str() << " -> " << c.oc << " groups " << c.groups << " " << pass_name(pass) << ": " << detail;
    }
    compare(conv_attrs(c), {c.x}, true, Fill::uniform, {1e-4, 1e-4, 1e-4}, {}, Mode::blocked);
    compare_fused(conv_attrs(c), c.x, Activation::relu6, Mode::blocked);
  }
}

// oneDNN 2.6's Winograd kernel needs AVX-512 (avx512_core: F, BW, DQ, VL); elsewhere it falls back to direct.
bool winograd_cpu() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

TEST(OnednnVsRef, Conv2dWinograd) {
  const bool available = winograd_cpu();
  const ConvCase wino[] = {
      {{2, 32, 14, 14}, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},    // smallest output and channels taking Winograd
      {{1, 32, 17, 15}, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, false},   // batch 1, odd sizes (partial 4x4 tiles)
      {{2, 32, 18, 20}, 32, 3, 3, 1, 1, 0, 0, 1, 1, 1, true},    // no padding: 16x18 output
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
    const ConvCase narrow{{2, 16, 14, 14}, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, true};  // 16 input channels
    for (const ConvCase& c : {kConvCases[11], kConvCases[1], kConvCases[3], first, narrow})  // 8x8 out, stride 2, grouped
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

}  // namespace
}  // namespace edgetrain::test
