#include "data/transforms.hpp"

#include <cmath>
#include <cstring>

#include "core/check.hpp"
#include "data/rng.hpp"

namespace edgetrain::data {

void validate_augment(const Augment& a, const Shape& shape) {
  ET_ASSERT(shape.rank() == 3);
  const int64_t c = shape[0], h = shape[1], w = shape[2];
  ET_REQUIRE(a.mean.size() == a.std.size(),
             "augment: {} mean values but {} std values; give both per channel or neither",
             a.mean.size(), a.std.size());
  ET_REQUIRE(a.mean.empty() || a.mean.size() == 1 || static_cast<int64_t>(a.mean.size()) == c,
             "augment: {} mean/std values for {}-channel samples; give {} (one per channel) or 1",
             a.mean.size(), c, c);
  for (size_t k = 0; k < a.std.size(); ++k)
    ET_REQUIRE(a.std[k] > 0 && std::isfinite(a.std[k]) && std::isfinite(a.mean[k]),
               "augment: channel {} has mean {} std {}; std must be positive and both finite", k,
               a.mean[k], a.std[k]);
  ET_REQUIRE(a.crop_padding >= 0 && a.crop_padding <= h && a.crop_padding <= w,
             "augment: crop padding {} for {}x{} samples; use 0 (off) up to {}", a.crop_padding, h,
             w, std::min(h, w));
}

bool augment_active(const Augment& a) {
  return !a.mean.empty() || a.crop_padding > 0 || a.horizontal_flip;
}

AugmentDraw draw_augment(const Augment& a, uint64_t key) {
  Rng rng(key);
  AugmentDraw d;
  const uint64_t span = 2 * static_cast<uint64_t>(a.crop_padding) + 1;
  d.crop_y = static_cast<int>(rng.below(span));
  d.crop_x = static_cast<int>(rng.below(span));
  d.flip = a.horizontal_flip && (rng.next() >> 63) != 0;
  return d;
}

void apply_augment(const Augment& a, const Shape& shape, const AugmentDraw& d, float* sample,
                   float* scratch) {
  const int64_t c = shape[0], h = shape[1], w = shape[2];
  const int64_t plane = h * w;
  if (d.crop_y != a.crop_padding || d.crop_x != a.crop_padding || d.flip) {
    // dst(ch, y, x) = src(ch, y + dy, x' + dx) with x' = flip ? w-1-x : x, 0 outside the image
    std::memcpy(scratch, sample, static_cast<size_t>(c * plane) * sizeof(float));
    const int64_t dy = d.crop_y - a.crop_padding, dx = d.crop_x - a.crop_padding;
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* src = scratch + ch * plane;
      float* dst = sample + ch * plane;
      for (int64_t y = 0; y < h; ++y) {
        const int64_t sy = y + dy;
        for (int64_t x = 0; x < w; ++x) {
          const int64_t sx = (d.flip ? w - 1 - x : x) + dx;
          dst[y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? src[sy * w + sx] : 0.0f;
        }
      }
    }
  }
  if (!a.mean.empty()) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const size_t k = a.mean.size() == 1 ? 0 : static_cast<size_t>(ch);
      const float mean = a.mean[k], std_dev = a.std[k];
      float* p = sample + ch * plane;
      for (int64_t i = 0; i < plane; ++i) p[i] = (p[i] - mean) / std_dev;
    }
  }
}

}  // namespace edgetrain::data
