// Narrow grouped convolutions (ResNeXt's 4 and 8 channels per group, RegNet's group widths, pruned
// grouped layers) have no oneDNN 2.6 JIT kernel on blocked layouts: it ran its naive loops, or its
// GEMM-based convolution on plain layouts at ~2 GMAC/s (resnext50_32x4d 64² batch 8: 39 of 135 ms
// per step). Packing k = 16 / width neighbouring groups into one group of 16 channels, with a
// block-diagonal filter (zero between the packed groups), turns the problem into one oneDNN runs with
// its blocked JIT kernels: k times the multiply-adds, at 10-25x the rate. The packed filter lives in
// scratch: packed from the weights before fwd / bwd_data, its gradient's diagonal blocks unpacked
// into the weight gradient after bwd_weights (the off-diagonal gradient is discarded, as the zeros are
// not parameters).
#pragma once
#include <cstdint>

namespace edgetrain::onednn::group_packing {

struct Packing {
  int64_t groups;  // G of the convolution
  int64_t width;   // channels per group, in and out (equal)
  int64_t taps;    // KH * KW
  int64_t k;       // groups per packed group (G % k == 0)
  int64_t packed_groups() const { return groups / k; }
  int64_t packed_width() const { return width * k; }
  // Elements of the packed filter [G/k, k*width, k*width, KH, KW].
  int64_t packed_numel() const { return packed_groups() * packed_width() * packed_width() * taps; }
};

// The packing for a grouped convolution of `channels` in and out with `groups` groups, or k = 1 when
// there is none (not grouped, depthwise, group widths in and out differ, or 16 not a multiple of the
// width).
Packing packing_for(int64_t channels_in, int64_t channels_out, int64_t groups, int64_t taps);

// w [G, width, width, KH, KW] (row-major) -> the packed filter (zero off the diagonal blocks).
void pack(const float* w, const Packing& pk, float* packed);
// The packed filter's gradient -> dw [G, width, width, KH, KW]: its diagonal blocks.
void unpack(const float* packed, const Packing& pk, float* dw);

}  // namespace edgetrain::onednn::group_packing
