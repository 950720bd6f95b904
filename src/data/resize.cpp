#include "data/resize.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace edgetrain::data {
namespace {

struct Tap {
  int i0, i1;
  float w1;  // weight of i1; i0 gets 1 - w1
};

// Source taps for each destination coordinate along one axis.
std::vector<Tap> taps(int src, int dst) {
  std::vector<Tap> t(static_cast<size_t>(dst));
  const float scale = static_cast<float>(src) / static_cast<float>(dst);
  for (int d = 0; d < dst; ++d) {
    float s = (static_cast<float>(d) + 0.5f) * scale - 0.5f;
    s = std::clamp(s, 0.0f, static_cast<float>(src - 1));
    const int i0 = static_cast<int>(s);
    const int i1 = std::min(i0 + 1, src - 1);
    t[static_cast<size_t>(d)] = {i0, i1, s - static_cast<float>(i0)};
  }
  return t;
}

}  // namespace

void resize_bilinear_hwc_to_chw(const uint8_t* src, int src_h, int src_w, int channels,
                                uint8_t* dst, int dst_h, int dst_w) {
  const std::vector<Tap> ty = taps(src_h, dst_h), tx = taps(src_w, dst_w);
  const size_t plane = static_cast<size_t>(dst_h) * static_cast<size_t>(dst_w);
  const size_t row = static_cast<size_t>(src_w) * static_cast<size_t>(channels);
  for (int y = 0; y < dst_h; ++y) {
    const Tap& a = ty[static_cast<size_t>(y)];
    const uint8_t* r0 = src + static_cast<size_t>(a.i0) * row;
    const uint8_t* r1 = src + static_cast<size_t>(a.i1) * row;
    for (int x = 0; x < dst_w; ++x) {
      const Tap& b = tx[static_cast<size_t>(x)];
      const size_t c0 = static_cast<size_t>(b.i0) * static_cast<size_t>(channels);
      const size_t c1 = static_cast<size_t>(b.i1) * static_cast<size_t>(channels);
      for (int c = 0; c < channels; ++c) {
        const float top = r0[c0 + c] + b.w1 * (static_cast<float>(r0[c1 + c]) - r0[c0 + c]);
        const float bot = r1[c0 + c] + b.w1 * (static_cast<float>(r1[c1 + c]) - r1[c0 + c]);
        const float v = top + a.w1 * (bot - top);
        dst[static_cast<size_t>(c) * plane + static_cast<size_t>(y) * dst_w + x] =
            static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
}

}  // namespace edgetrain::data
