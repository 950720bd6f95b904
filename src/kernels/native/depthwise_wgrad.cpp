#include "kernels/native/depthwise_wgrad.hpp"

#include <algorithm>

#include "core/layout.hpp"
#include "core/vector_isa.hpp"

namespace edgetrain::native::depthwise_wgrad {
namespace {

constexpr int64_t B = kChannelBlock;

// The outputs ow in [lo, hi) whose input column ow*SW - PW + off lies inside [0, IW).
struct Span {
  int64_t lo, hi;
};
Span valid_outputs(int64_t off, int64_t stride, int64_t in, int64_t out) {
  // ow*stride + off >= 0  and  ow*stride + off <= in - 1
  const int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  const int64_t top = in - 1 - off;
  const int64_t hi = top < 0 ? 0 : std::min(out, top / stride + 1);
  return {lo, std::max(lo, hi)};
}

// One tap (kh, kw) of one channel block over one image: the 16 channels' sums side by side.
[[gnu::always_inline]] inline void tap_sum_blocked(const float* x, const float* dy, const Geometry& g, int64_t kh,
                                                   int64_t kw, float* acc) {
  const int64_t row_off = kh * g.DH - g.PH, col_off = kw * g.DW - g.PW;
  const Span rows = valid_outputs(row_off, g.SH, g.IH, g.OH), cols = valid_outputs(col_off, g.SW, g.IW, g.OW);
  for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
    const float* xr = x + (oh * g.SH + row_off) * g.IW * B;
    const float* dr = dy + oh * g.OW * B;
    for (int64_t ow = cols.lo; ow < cols.hi; ++ow) {
      const float* xp = xr + (ow * g.SW + col_off) * B;
      const float* dp = dr + ow * B;
#pragma omp simd
      for (int64_t j = 0; j < B; ++j) acc[j] += xp[j] * dp[j];
    }
  }
}

}  // namespace

// Parallel over (channel block, tap) tasks; each compiled for the widest ISA (core/vector_isa.hpp:
// target_clones would leave the OpenMP-outlined loop at SSE2).
void weight_grad_blocked(const float* x, const float* dy, const Geometry& g, float* dw) {
  const int64_t blocks = g.C / B, taps = g.KH * g.KW;
  const int64_t x_block = g.IH * g.IW * B, dy_block = g.OH * g.OW * B;
  const bool parallel = g.N * g.C * g.OH * g.OW * taps > (1 << 16);
  parallel_for_blocks(
      blocks * taps, parallel, [&](int64_t task) __attribute__((always_inline)) {
        const int64_t cb = task / taps, kh = task % taps / g.KW, kw = task % g.KW;
        double total[B] = {};
        for (int64_t n = 0; n < g.N; ++n) {
          float acc[B] = {};
          tap_sum_blocked(x + (n * blocks + cb) * x_block, dy + (n * blocks + cb) * dy_block, g, kh, kw, acc);
          for (int64_t j = 0; j < B; ++j) total[j] += acc[j];
        }
        for (int64_t j = 0; j < B; ++j) dw[(cb * B + j) * taps + kh * g.KW + kw] = static_cast<float>(total[j]);
      });
}

}  // namespace edgetrain::native::depthwise_wgrad
