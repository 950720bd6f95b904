// The weight gradient of a depthwise convolution (one filter per channel), for the shapes where oneDNN
// 2.6 has no JIT kernel: its jit_dw bwd_weights takes 3x3 filters on blocked layouts only, so a 5x5 one
// (EfficientNet, MNASNet, MobileNetV3) or any on plain layouts (channel counts that are not multiples of
// 16: MobileNetV3's 72 and 120, pruned networks) fell to its GEMM-based convolution: 10-34 ms per step
// at batch 8 against 0.7-1.3 ms for the forward. Compiled for AVX-512 and AVX2 as well (one 16-channel
// block is one AVX-512 register); the project itself builds for the x86-64 baseline.
#pragma once
#include <cstdint>

namespace edgetrain::native::depthwise_wgrad {

// One depthwise convolution: C channels, one filter per channel.
struct Geometry {
  int64_t N, C, IH, IW, OH, OW;
  int64_t KH, KW, SH, SW, PH, PW, DH, DW;  // dilation as the step (1: none)
};

// dw[c][kh][kw] (row-major) = sum over n, oh, ow of x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW] *
// dy[n, c, oh, ow], positions outside x counting zero. Each image's sum is taken in float, the images'
// in double. x and dy in nChw16c ([N, C/16, H, W, 16], C a multiple of 16: an NCHW problem comes
// padded, channel_padding.hpp, and its padded channels' dw, zero, is dropped).
void weight_grad_blocked(const float* x, const float* dy, const Geometry& g, float* dw);

}  // namespace edgetrain::native::depthwise_wgrad
