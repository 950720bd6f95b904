#include "data/image_decode.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "core/check.hpp"
#include "data/file_read.hpp"
#include "data/image_codecs.hpp"

// BMP only: PNG and JPEG go to libpng and libjpeg-turbo (png_decode.cpp, jpeg_decode.cpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_MALLOC std::malloc
#define STBI_REALLOC std::realloc
#define STBI_FREE std::free
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace edgetrain::data {

namespace codec {

Status failed(RawImage* out, const char* text) {
  const size_t n = std::min(std::strlen(text), sizeof(out->message) - 1);
  std::memcpy(out->message, text, n);
  out->message[n] = '\0';
  return Status::kFailed;
}

}  // namespace codec

namespace {

enum class Format { kPng, kJpeg, kBmp, kUnknown };

// By the file's first bytes (its signature), not its name.
Format sniff(const uint8_t* b, size_t n) {
  static constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (n >= 8 && std::memcmp(b, kPngSignature, 8) == 0) return Format::kPng;
  if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return Format::kJpeg;
  if (n >= 2 && b[0] == 'B' && b[1] == 'M') return Format::kBmp;
  return Format::kUnknown;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::kPng: return "PNG";
    case Format::kJpeg: return "JPEG";
    case Format::kBmp: return "BMP";
    case Format::kUnknown: break;
  }
  return "unknown format";
}

// stb_image (STBI_ONLY_BMP) with the codecs' interface: header size first, then the pixels.
codec::Status decode_bmp(const uint8_t* bytes, size_t size, int channels, int64_t max_pixels, codec::RawImage* out) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) return codec::failed(out, "the file is too large");
  const int len = static_cast<int>(size);
  int w = 0, h = 0, file_channels = 0;
  if (stbi_info_from_memory(bytes, len, &w, &h, &file_channels) != 0) {
    // stbi_info reports the header's height as it is: negative for a top-down BMP (found by fuzzing: a
    // negative height passed the limit, then stb decoded |height| rows, hundreds of Mpixel from 38 bytes).
    const int64_t width = std::abs(int64_t{w}), height = std::abs(int64_t{h});
    out->width = static_cast<int>(std::min<int64_t>(width, std::numeric_limits<int>::max()));
    out->height = static_cast<int>(std::min<int64_t>(height, std::numeric_limits<int>::max()));
    if (width * height > max_pixels) return codec::Status::kTooLarge;
    // No pixels: refused by decode_image. Not given to stb_image, whose abs() of a height of INT_MIN is
    // undefined behaviour (found by fuzzing under UBSan: width 0, height INT_MIN).
    if (width == 0 || height == 0) return codec::Status::kOk;
  }  // a header stb cannot read is left to the decoder to report
  stbi_uc* data = stbi_load_from_memory(bytes, len, &w, &h, &file_channels, channels);
  if (data == nullptr) {
    const char* why = stbi_failure_reason();
    return codec::failed(out, why != nullptr ? why : "unknown reason");
  }
  out->width = w;
  out->height = h;
  out->pixels = data;  // allocated with std::malloc (STBI_MALLOC)
  return codec::Status::kOk;
}

}  // namespace

DecodedImage decode_image(const std::string& path, int channels, int64_t max_pixels) {
  const std::vector<uint8_t> bytes = read_binary_file(path);
  return decode_image(bytes.data(), bytes.size(), path, channels, max_pixels);
}

DecodedImage decode_image(const uint8_t* bytes, size_t size, const std::string& path, int channels,
                          int64_t max_pixels) {
  ET_ASSERT(channels == 1 || channels == 3);
  const Format format = sniff(bytes, size);
  codec::RawImage raw;
  codec::Status status = codec::Status::kFailed;
  switch (format) {
    case Format::kPng: status = codec::decode_png(bytes, size, channels, max_pixels, &raw); break;
    case Format::kJpeg: status = codec::decode_jpeg(bytes, size, channels, max_pixels, &raw); break;
    case Format::kBmp: status = decode_bmp(bytes, size, channels, max_pixels, &raw); break;
    case Format::kUnknown: codec::failed(&raw, "not a PNG, JPEG or BMP file"); break;
  }
  const std::unique_ptr<unsigned char, decltype(&std::free)> owned(raw.pixels, &std::free);
  ET_REQUIRE(status != codec::Status::kTooLarge,
             "{}: the image is {}x{} pixels, more than the {} pixels edgetrain decodes; downscale it", path, raw.width,
             raw.height, max_pixels);
  ET_REQUIRE(status == codec::Status::kOk,
             "{}: cannot decode image ({}{}{}); image folders may contain only PNG, JPEG or BMP files, remove or "
             "convert this one",
             path, format == Format::kUnknown ? "" : format_name(format), format == Format::kUnknown ? "" : ": ",
             raw.message);
  ET_REQUIRE(raw.width > 0 && raw.height > 0, "{}: the image has no pixels ({}x{}); remove this file", path, raw.width,
             raw.height);
  DecodedImage img;
  img.height = raw.height;
  img.width = raw.width;
  img.channels = channels;
  const size_t n = static_cast<size_t>(raw.width) * static_cast<size_t>(raw.height) * static_cast<size_t>(channels);
  img.pixels.assign(owned.get(), owned.get() + n);
  return img;
}

}  // namespace edgetrain::data
