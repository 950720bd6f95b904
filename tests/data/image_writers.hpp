// PNG and JPEG files in memory, written with libpng and libjpeg-turbo, for the decoder tests: the
// variants stb_image_write cannot make (16-bit, palette, sub-8-bit grey, interlaced, progressive, CMYK).
#pragma once
#include <cstdint>
#include <vector>

namespace edgetrain::data::test_util {

struct PngSpec {
  int width = 0, height = 0;
  int color_type = 0;  // PNG_COLOR_TYPE_*: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
  int bit_depth = 8;
  bool interlaced = false;             // Adam7
  std::vector<uint8_t> palette_rgb;    // color type 3: 3 bytes per entry
  std::vector<uint8_t> palette_alpha;  // color type 3: a tRNS chunk when not empty
};

// `samples`: [height, width, channels of color_type] values of bit_depth bits (palette indices for 3).
std::vector<uint8_t> png_bytes(const PngSpec& spec, const std::vector<uint16_t>& samples);

// components 1 (grey), 3 (RGB) or 4 (CMYK); 4:4:4 (no chroma subsampling).
std::vector<uint8_t> jpeg_bytes(int width, int height, int components, const std::vector<uint8_t>& hwc,
                                bool progressive, int quality = 100);

}  // namespace edgetrain::data::test_util
