// decode_image: one PNG (libpng), JPEG (libjpeg-turbo) or BMP (stb_image) file to interleaved u8 pixels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace edgetrain::data {

struct DecodedImage {
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;  // [H, W, C] interleaved
};

// Images of more pixels are refused before they are decoded (64 Mpixel, e.g. 8192 x 8192: a few bytes of
// PNG or JPEG can announce any size, and decoding it would take gigabytes and minutes).
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// Decodes `path` converted to `channels` (1 = grey, 3 = RGB). Throws Error naming the file when
// it cannot be decoded (unknown format, corrupt or truncated) or has more than max_pixels pixels (checked
// from the header, before the pixels are decoded). The format is told by the first bytes, not the name.
DecodedImage decode_image(const std::string& path, int channels, int64_t max_pixels = kMaxImagePixels);
// The same on an image file's bytes in memory; `path` only names it in messages.
DecodedImage decode_image(const uint8_t* bytes, size_t size, const std::string& path, int channels,
                          int64_t max_pixels = kMaxImagePixels);

}  // namespace edgetrain::data
