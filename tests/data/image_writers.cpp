#include "image_writers.hpp"

#include <png.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
// clang-format off
#include <jpeglib.h>
// clang-format on

namespace edgetrain::data::test_util {

namespace {

void append(png_structp png, png_bytep data, size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

int png_channels(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;  // palette indices
  }
}

// One row of `samples` packed as PNG stores it: big-endian 16-bit, or sub-byte values from the high bits.
std::vector<png_byte> pack_row(const PngSpec& s, const std::vector<uint16_t>& samples, int y) {
  const int n = s.width * png_channels(s.color_type);
  const uint16_t* v = samples.data() + static_cast<size_t>(y) * static_cast<size_t>(n);
  std::vector<png_byte> row(static_cast<size_t>((n * s.bit_depth + 7) / 8), 0);
  for (int i = 0; i < n; ++i) {
    if (s.bit_depth == 16) {
      row[2 * static_cast<size_t>(i)] = static_cast<png_byte>(v[i] >> 8);
      row[2 * static_cast<size_t>(i) + 1] = static_cast<png_byte>(v[i] & 0xff);
    } else {
      const int bit = i * s.bit_depth;
      row[static_cast<size_t>(bit / 8)] |= static_cast<png_byte>(v[i] << (8 - s.bit_depth - bit % 8));
    }
  }
  return row;
}

}  // namespace

// Test helpers: a libpng or libjpeg error here is a broken test, and their default handlers abort.
std::vector<uint8_t> png_bytes(const PngSpec& s, const std::vector<uint16_t>& samples) {
  if (samples.size() != static_cast<size_t>(s.width * s.height * png_channels(s.color_type)))
    throw std::invalid_argument("png_bytes: wrong number of samples");
  std::vector<std::vector<png_byte>> rows;
  for (int y = 0; y < s.height; ++y) rows.push_back(pack_row(s, samples, y));
  std::vector<png_bytep> row_pointers;
  for (auto& r : rows) row_pointers.push_back(r.data());

  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, append, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(s.width), static_cast<png_uint_32>(s.height), s.bit_depth,
               s.color_type, s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> palette;
  for (size_t i = 0; i + 2 < s.palette_rgb.size(); i += 3)
    palette.push_back({s.palette_rgb[i], s.palette_rgb[i + 1], s.palette_rgb[i + 2]});
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!s.palette_alpha.empty())
    png_set_tRNS(png, info, s.palette_alpha.data(), static_cast<int>(s.palette_alpha.size()), nullptr);
  png_set_rows(png, info, row_pointers.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::vector<uint8_t> jpeg_bytes(int width, int height, int components, const std::vector<uint8_t>& hwc,
                                bool progressive, int quality) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = static_cast<JDIMENSION>(width);
  c.image_height = static_cast<JDIMENSION>(height);
  c.input_components = components;
  c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  for (int i = 0; i < c.num_components; ++i) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row_copy;
  while (c.next_scanline < c.image_height) {
    const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(components);
    row_copy.assign(hwc.begin() + static_cast<std::ptrdiff_t>(stride * c.next_scanline),
                    hwc.begin() + static_cast<std::ptrdiff_t>(stride * (c.next_scanline + 1)));
    JSAMPROW row = row_copy.data();
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&c);
  std::free(buffer);
  return out;
}

}  // namespace edgetrain::data::test_util
