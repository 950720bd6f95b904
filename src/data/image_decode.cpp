#include "data/image_decode.hpp"

#include <cstring>
#include <limits>

#include "core/check.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO_WARNINGS
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace edgetrain::data {

namespace {

// Takes ownership of what stb_image returned (nullptr: it failed).
DecodedImage adopt(stbi_uc* data, int w, int h, const std::string& path, int channels) {
  if (data == nullptr) {
    const char* why = stbi_failure_reason();
    fail("{}: cannot decode image ({}); image folders may contain only PNG, JPEG or BMP files, "
         "remove or convert this one",
         path, why ? why : "unknown reason");
  }
  if (w <= 0 || h <= 0) {
    stbi_image_free(data);
    fail("{}: the image has no pixels ({}x{}); remove this file", path, w, h);
  }
  DecodedImage img;
  img.height = h;
  img.width = w;
  img.channels = channels;
  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(channels);
  img.pixels.resize(n);
  std::memcpy(img.pixels.data(), data, n);
  stbi_image_free(data);
  return img;
}

// The header's size (stbi_info: no pixels decoded yet) against the limit; a header stb cannot read is
// left to the decoder to report.
void check_size(bool known, int w, int h, const std::string& path, int64_t max_pixels) {
  ET_REQUIRE(!known || int64_t{w} * int64_t{h} <= max_pixels,
             "{}: the image is {}x{} pixels, more than the {} pixels edgetrain decodes; downscale it", path, w, h,
             max_pixels);
}

}  // namespace

DecodedImage decode_image(const std::string& path, int channels, int64_t max_pixels) {
  ET_ASSERT(channels == 1 || channels == 3);
  int w = 0, h = 0, file_channels = 0;
  const bool known = stbi_info(path.c_str(), &w, &h, &file_channels) != 0;
  check_size(known, w, h, path, max_pixels);
  stbi_uc* data = stbi_load(path.c_str(), &w, &h, &file_channels, channels);
  return adopt(data, w, h, path, channels);
}

DecodedImage decode_image(const uint8_t* bytes, size_t size, const std::string& path, int channels,
                          int64_t max_pixels) {
  ET_ASSERT(channels == 1 || channels == 3);
  ET_REQUIRE(size <= static_cast<size_t>(std::numeric_limits<int>::max()), "{}: {} bytes is too large an image file",
             path, size);
  const int len = static_cast<int>(size);
  int w = 0, h = 0, file_channels = 0;
  const bool known = stbi_info_from_memory(bytes, len, &w, &h, &file_channels) != 0;
  check_size(known, w, h, path, max_pixels);
  stbi_uc* data = stbi_load_from_memory(bytes, len, &w, &h, &file_channels, channels);
  return adopt(data, w, h, path, channels);
}

}  // namespace edgetrain::data
