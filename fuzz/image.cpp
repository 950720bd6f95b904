// Image decoding from bytes (PNG: libpng, JPEG: libjpeg-turbo, BMP: stb_image) and the bilinear resize an image folder
// applies next. Input: the image file itself; odd sizes decode to RGB, even ones to grey. Images over
// 1 Mpixel are refused (the library's limit is 64 Mpixel), so that a tiny file announcing a huge size
// does not take seconds per run under the sanitizers.
#include <vector>

#include "data/image_decode.hpp"
#include "data/resize.hpp"
#include "fuzz/fuzz_target.hpp"

namespace edgetrain::fuzz {

void fuzz_one(const uint8_t* data, size_t size) {
  const int channels = size % 2 == 1 ? 3 : 1;
  const data::DecodedImage img = data::decode_image(data, size, "fuzz.img", channels, int64_t{1} << 20);
  constexpr int kOut = 7;
  std::vector<uint8_t> out(static_cast<size_t>(channels * kOut * kOut));
  data::resize_bilinear_hwc_to_chw(img.pixels.data(), img.height, img.width, channels, out.data(), kOut, kOut);
}

}  // namespace edgetrain::fuzz
