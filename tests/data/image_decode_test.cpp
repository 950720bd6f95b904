// decode_image on PNG (libpng) and JPEG (libjpeg-turbo) variants written by image_writers.cpp, checked
// against the pixels they were written from; corrupt and truncated files are Errors.
#include <gtest/gtest.h>

#include <png.h>

#include <cmath>
#include <cstdlib>

#include "data/image_decode.hpp"
#include "image_writers.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;

DecodedImage decode(const std::vector<uint8_t>& bytes, int channels, int64_t max_pixels = kMaxImagePixels) {
  return decode_image(bytes.data(), bytes.size(), "test.img", channels, max_pixels);
}
std::string error_decoding(const std::vector<uint8_t>& bytes, int channels, int64_t max_pixels = kMaxImagePixels) {
  return error_of([&] { decode(bytes, channels, max_pixels); });
}

// [h, w, c] smooth test pattern: base + 10 y + 3 x + 20 ch (up to 8x8 stays within a byte for base < 60).
std::vector<uint8_t> pattern(int h, int w, int c, int base) {
  std::vector<uint8_t> v;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) v.push_back(static_cast<uint8_t>(base + 10 * y + 3 * x + 20 * ch));
  return v;
}
std::vector<uint16_t> widen(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }
// BT.601 luma, what decoding colour to grey gives (0.299 R + 0.587 G + 0.114 B).
std::vector<uint8_t> luma(const std::vector<uint8_t>& rgb) {
  std::vector<uint8_t> g;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3)
    g.push_back(static_cast<uint8_t>(std::lround(0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2])));
  return g;
}
std::vector<uint8_t> grey_to_rgb(const std::vector<uint8_t>& g) {
  std::vector<uint8_t> rgb;
  for (uint8_t v : g) rgb.insert(rgb.end(), {v, v, v});
  return rgb;
}

void expect_image(const DecodedImage& img, int h, int w, int c, const std::vector<uint8_t>& want, int tolerance) {
  ASSERT_EQ(img.height, h);
  ASSERT_EQ(img.width, w);
  ASSERT_EQ(img.channels, c);
  ASSERT_EQ(img.pixels.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_LE(std::abs(int{img.pixels[i]} - int{want[i]}), tolerance) << "sample " << i;
}

TEST(DecodePng, Rgb8AsRgbAndGrey) {
  const std::vector<uint8_t> rgb = pattern(5, 7, 3, 10);
  for (bool interlaced : {false, true}) {
    const auto png = png_bytes({7, 5, PNG_COLOR_TYPE_RGB, 8, interlaced, {}, {}}, widen(rgb));
    expect_image(decode(png, 3), 5, 7, 3, rgb, 0);
    expect_image(decode(png, 1), 5, 7, 1, luma(rgb), 1);
  }
}

TEST(DecodePng, GreyAsGreyAndRgb) {
  const std::vector<uint8_t> grey = pattern(6, 4, 1, 30);
  const auto png = png_bytes({4, 6, PNG_COLOR_TYPE_GRAY, 8, false, {}, {}}, widen(grey));
  expect_image(decode(png, 1), 6, 4, 1, grey, 0);
  expect_image(decode(png, 3), 6, 4, 3, grey_to_rgb(grey), 0);
  // 2-bit grey: 0..3 scale to 0, 85, 170, 255
  const auto png2 = png_bytes({4, 1, PNG_COLOR_TYPE_GRAY, 2, false, {}, {}}, {0, 1, 2, 3});
  expect_image(decode(png2, 1), 1, 4, 1, {0, 85, 170, 255}, 0);
}

TEST(DecodePng, PaletteWithAndWithoutTransparency) {
  const std::vector<uint8_t> palette = {255, 0, 0, 0, 200, 0, 10, 20, 30, 250, 250, 250};
  const std::vector<uint16_t> index = {0, 1, 2, 3, 3, 2, 1, 0};  // 4 x 2
  std::vector<uint8_t> rgb;
  for (uint16_t i : index) rgb.insert(rgb.end(), palette.begin() + 3 * i, palette.begin() + 3 * i + 3);
  for (const std::vector<uint8_t>& alpha : {std::vector<uint8_t>{}, std::vector<uint8_t>{0, 128}}) {
    for (int depth : {8, 2}) {
      const auto png = png_bytes({4, 2, PNG_COLOR_TYPE_PALETTE, depth, false, palette, alpha}, index);
      expect_image(decode(png, 3), 2, 4, 3, rgb, 0);  // transparency dropped
      expect_image(decode(png, 1), 2, 4, 1, luma(rgb), 1);
    }
  }
}

TEST(DecodePng, SixteenBitKeepsTheHighByte) {
  const std::vector<uint8_t> rgb = pattern(3, 5, 3, 40);
  std::vector<uint16_t> wide;
  for (size_t i = 0; i < rgb.size(); ++i) wide.push_back(static_cast<uint16_t>(rgb[i] * 256 + (i * 37) % 256));
  for (bool interlaced : {false, true}) {
    const auto png = png_bytes({5, 3, PNG_COLOR_TYPE_RGB, 16, interlaced, {}, {}}, wide);
    expect_image(decode(png, 3), 3, 5, 3, rgb, 0);
  }
  // 16-bit grey + alpha: alpha dropped
  std::vector<uint16_t> grey_alpha;
  for (uint8_t v : pattern(3, 5, 1, 40)) grey_alpha.insert(grey_alpha.end(), {static_cast<uint16_t>(v * 257), 0});
  const auto png = png_bytes({5, 3, PNG_COLOR_TYPE_GRAY_ALPHA, 16, false, {}, {}}, grey_alpha);
  expect_image(decode(png, 1), 3, 5, 1, pattern(3, 5, 1, 40), 0);
  expect_image(decode(png, 3), 3, 5, 3, grey_to_rgb(pattern(3, 5, 1, 40)), 0);
}

TEST(DecodePng, RgbaDropsAlpha) {
  const std::vector<uint8_t> rgba = pattern(4, 3, 4, 0);
  std::vector<uint8_t> rgb;
  for (size_t i = 0; i < rgba.size(); i += 4) rgb.insert(rgb.end(), rgba.begin() + i, rgba.begin() + i + 3);
  const auto png = png_bytes({3, 4, PNG_COLOR_TYPE_RGB_ALPHA, 8, true, {}, {}}, widen(rgba));
  expect_image(decode(png, 3), 4, 3, 3, rgb, 0);
}

TEST(DecodePng, CorruptAndTruncatedFilesAreErrors) {
  const auto png = png_bytes({8, 8, PNG_COLOR_TYPE_RGB, 8, false, {}, {}}, widen(pattern(8, 8, 3, 0)));
  for (size_t keep : {size_t{8}, size_t{20}, size_t{40}, png.size() - 20}) {
    const std::vector<uint8_t> cut(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(keep));
    EXPECT_CONTAINS(error_decoding(cut, 3), "test.img: cannot decode image (PNG: ");
  }
  std::vector<uint8_t> flipped = png;
  flipped[45] ^= 0x40;  // in the IDAT chunk's compressed data
  EXPECT_CONTAINS(error_decoding(flipped, 3), "test.img: cannot decode image (PNG: IDAT: ");
}

TEST(DecodeJpeg, BaselineAndProgressive) {
  const std::vector<uint8_t> rgb = pattern(8, 8, 3, 20), grey = pattern(8, 8, 1, 50);
  for (bool progressive : {false, true}) {
    SCOPED_TRACE(progressive ? "progressive" : "baseline");
    const auto colour = jpeg_bytes(8, 8, 3, rgb, progressive);
    expect_image(decode(colour, 3), 8, 8, 3, rgb, 3);
    expect_image(decode(colour, 1), 8, 8, 1, luma(rgb), 3);
    const auto mono = jpeg_bytes(8, 8, 1, grey, progressive);
    expect_image(decode(mono, 1), 8, 8, 1, grey, 2);
    expect_image(decode(mono, 3), 8, 8, 3, grey_to_rgb(grey), 2);
  }
}

TEST(DecodeJpeg, TruncatedAndCorruptFilesAreErrors) {
  std::vector<uint8_t> big;
  for (int i = 0; i < 64 * 48; ++i) big.insert(big.end(), {uint8_t(i * 7), uint8_t(i * 13), uint8_t(i / 16)});
  for (bool progressive : {false, true}) {
    const auto jpeg = jpeg_bytes(64, 48, 3, big, progressive);
    ASSERT_NO_THROW(decode(jpeg, 3));
    const std::vector<uint8_t> half(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2));
    EXPECT_CONTAINS(error_decoding(half, 3), "test.img: cannot decode image (JPEG: Premature end of JPEG file)");
    // the header alone: a header error, or the size limit, checked before any pixel is decoded
    const std::vector<uint8_t> head(jpeg.begin(), jpeg.begin() + 3);
    EXPECT_CONTAINS(error_decoding(head, 3), "test.img: cannot decode image (JPEG: ");
    EXPECT_CONTAINS(error_decoding(half, 3, 64 * 48 - 1), "test.img: the image is 64x48 pixels, more than the 3071");
  }
  const auto cmyk = jpeg_bytes(8, 8, 4, std::vector<uint8_t>(256, 100), false);
  EXPECT_CONTAINS(error_decoding(cmyk, 3), "CMYK");
}

TEST(DecodeImage, UnknownFormatsAndEmptyFilesAreErrors) {
  EXPECT_CONTAINS(error_decoding({}, 3), "test.img: cannot decode image (not a PNG, JPEG or BMP file)");
  EXPECT_CONTAINS(error_decoding({'G', 'I', 'F', '8', '9', 'a'}, 1), "(not a PNG, JPEG or BMP file)");
}

}  // namespace
}  // namespace edgetrain::data
