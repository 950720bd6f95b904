// Memory layouts of 4-D activations [N, C, H, W] and their gradients.
//   plain:     row-major NCHW.
//   blocked16: oneDNN's nChw16c — channels in blocks of 16, the 16 channels of one pixel adjacent:
//              element (n, c, h, w) at ((n * Cb + c/16) * H*W + h*W + w) * 16 + c % 16, Cb = ceil(C/16).
// A blocked16 tensor whose C is not a multiple of 16 (a pruned network's 26 channels, MobileNetV3's 24,
// 40, 72) is padded: its last block has 16 - C % 16 lanes past the real channels, so it holds more
// bytes than its plain twin (storage_numel). Producers write the padding lanes (oneDNN writes zeros,
// edgetrain's blocked loops too) and consumers ignore them. Element-wise kernels (ReLU, Add, gradient
// accumulation) run on either layout over the storage elements. A value's gradient has the value's
// layout. compile() chooses the layouts; kernels read them from their KernelProblem.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/shape.hpp"

namespace edgetrain {

enum class Layout : uint8_t { plain, blocked16 };
inline constexpr int64_t kChannelBlock = 16;

inline std::string_view layout_name(Layout l) { return l == Layout::plain ? "plain" : "blocked16"; }

// Channels a blocked16 tensor stores: C rounded up to whole blocks.
inline int64_t blocked_channels(int64_t C) { return (C + kChannelBlock - 1) / kChannelBlock * kChannelBlock; }

// Whether a tensor of this shape can take the blocked16 layout: 4-D, with no more padding lanes than
// real channels (8 -> 16 and 20 -> 32 are; a 2-channel tensor would store 8x its bytes). Measured on
// MobileNetV2 pruned 80 % (224², batch 8): allowing up to half made its 20-channel values plain and
// the step 3 ms slower; allowing any padding gained nothing on ResNet-20 pruned 80 %.
inline bool blockable(const Shape& s) {
  return s.rank() == 4 && s[1] > 0 && blocked_channels(s[1]) - s[1] <= s[1];
}

// Whether the tensor stores padding lanes in layout l.
inline bool padded(const Shape& s, Layout l) {
  return l == Layout::blocked16 && s.rank() == 4 && s[1] % kChannelBlock != 0;
}

// Elements a tensor of this shape stores in layout l (padding lanes included).
inline int64_t storage_numel(const Shape& s, Layout l) {
  return padded(s, l) ? s.numel() / s[1] * blocked_channels(s[1]) : s.numel();
}

// Offset of element (n, c, s) (s = h*W + w, S = H*W) of an [N, C, S] tensor in layout l.
inline int64_t layout_offset(Layout l, int64_t C, int64_t S, int64_t n, int64_t c, int64_t s) {
  if (l == Layout::plain) return (n * C + c) * S + s;
  const int64_t blocks = blocked_channels(C) / kChannelBlock;
  return ((n * blocks + c / kChannelBlock) * S + s) * kChannelBlock + c % kChannelBlock;
}

// Converts between the layouts (dst must not alias src; padding lanes of a blocked dst are left as
// they are); for tests, inspection and the edges.
template <class T>
void relayout(const T* src, Layout from, T* dst, Layout to, int64_t N, int64_t C, int64_t S) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) dst[layout_offset(to, C, S, n, c, s)] = src[layout_offset(from, C, S, n, c, s)];
}

}  // namespace edgetrain
