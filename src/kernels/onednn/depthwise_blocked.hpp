// The weight gradient of a depthwise convolution over nChw16c tensors ([N, C/16, H, W, 16]), for the
// shapes where oneDNN 2.6 has no JIT kernel (its jit_dw bwd_weights takes 3x3 only: a 5x5 one, as in
// EfficientNet and MNASNet, fell to its GEMM-based convolution through plain reorders, 21-33 ms per
// step at batch 8 against 0.7-1.3 ms for the forward). One 16-channel block is one AVX-512 register;
// compiled for AVX-512 and AVX2 as well, the project itself builds for the x86-64 baseline.
#pragma once
#include <cstdint>

namespace edgetrain::onednn::depthwise_blocked {

// One depthwise convolution: C channels (a multiple of 16), one filter per channel.
struct Geometry {
  int64_t N, C, IH, IW, OH, OW;
  int64_t KH, KW, SH, SW, PH, PW, DH, DW;  // dilation as the step (1: none)
};

// dw[c][kh][kw] (row-major) = sum over n, oh, ow of x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW] *
// dy[n, c, oh, ow], positions outside x counting zero. Each image's sum is taken in float, the images'
// in double.
void weight_grad(const float* x, const float* dy, const Geometry& g, float* dw);

}  // namespace edgetrain::onednn::depthwise_blocked
