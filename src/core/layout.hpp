// Memory layouts of 4-D activations [N, C, H, W] and their gradients.
//   plain:     row-major NCHW.
//   blocked16: oneDNN's nChw16c — channels in blocks of 16, the 16 channels of one pixel adjacent:
//              element (n, c, h, w) at ((n * C/16 + c/16) * H*W + h*W + w) * 16 + c % 16.
// A blocked16 tensor needs C % 16 == 0, so it holds exactly the bytes of its plain twin (no padding):
// element-wise kernels (ReLU, Dropout, Add, gradient accumulation, the optimizer) run on either layout
// unchanged. A value's gradient has the value's layout. compile() chooses the layouts; kernels read
// them from their KernelProblem.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/shape.hpp"

namespace edgetrain {

enum class Layout : uint8_t { plain, blocked16 };
inline constexpr int64_t kChannelBlock = 16;

inline std::string_view layout_name(Layout l) { return l == Layout::plain ? "plain" : "blocked16"; }

// Whether a tensor of this shape can take the blocked16 layout.
inline bool blockable(const Shape& s) { return s.rank() == 4 && s[1] > 0 && s[1] % kChannelBlock == 0; }

// Offset of element (n, c, s) (s = h*W + w, S = H*W) of an [N, C, S] tensor in layout l.
inline int64_t layout_offset(Layout l, int64_t C, int64_t S, int64_t n, int64_t c, int64_t s) {
  if (l == Layout::plain) return (n * C + c) * S + s;
  return ((n * (C / kChannelBlock) + c / kChannelBlock) * S + s) * kChannelBlock + c % kChannelBlock;
}

// Converts between the layouts (dst must not alias src); for tests, inspection and the edges.
template <class T>
void relayout(const T* src, Layout from, T* dst, Layout to, int64_t N, int64_t C, int64_t S) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) dst[layout_offset(to, C, S, n, c, s)] = src[layout_offset(from, C, S, n, c, s)];
}

}  // namespace edgetrain
