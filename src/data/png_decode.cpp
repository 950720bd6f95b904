// PNG through libpng's low-level read API (libpng-manual: png_read_info, transformations, png_read_image).
// libpng reports errors by calling our error function, which records the message and longjmps back to
// png_run; see image_codecs.hpp for the rules that makes these functions follow.
#include <png.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>

#include "data/image_codecs.hpp"

namespace edgetrain::data::codec {

namespace {

// Everything a decode changes lives here, outside the frame that calls setjmp (png_run), so no local
// of that frame is modified between setjmp and a longjmp.
struct PngJob {
  const uint8_t* bytes;
  size_t size, pos;
  int channels;
  int64_t max_pixels;
  png_structp png;
  png_infop info;
  png_bytep* rows;
  RawImage* out;
};

void read_bytes(png_structp png, png_bytep dst, size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (n > job->size - job->pos) png_error(png, "the file is truncated");
  if (n > 0) std::memcpy(dst, job->bytes + job->pos, n);
  job->pos += n;
}

[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  failed(static_cast<PngJob*>(png_get_error_ptr(png))->out, message);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // benign (an ancillary chunk's CRC, unknown chunks)

// The decode proper; any libpng error longjmps out of it (it holds nothing that needs destroying).
Status png_body(PngJob* job) {
  png_structp png = job->png;
  png_infop info = job->info;
  png_set_read_fn(png, job, read_bytes);
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  // libpng has checked the IHDR: both are non-zero and within its user limits (1,000,000 by default).
  job->out->width = static_cast<int>(w);
  job->out->height = static_cast<int>(h);
  if (int64_t{w} * int64_t{h} > job->max_pixels) return Status::kTooLarge;

  const int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
  } else if (depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  if (depth == 16) png_set_strip_16(png);  // the high byte, as 8-bit readers of 16-bit PNGs usually do
  // Transparency is dropped: an alpha channel, and a tRNS chunk (which palette expansion turns into one).
  if ((color & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0) png_set_strip_alpha(png);
  const bool is_color = (color & PNG_COLOR_MASK_COLOR) != 0;
  if (job->channels == 3 && !is_color) png_set_gray_to_rgb(png);
  // ITU-R BT.601 luma, as libjpeg's YCbCr (0.299 R + 0.587 G + 0.114 B), in units of 1/100000.
  if (job->channels == 1 && is_color) png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, 29900, 58700);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const size_t row_bytes = size_t{w} * static_cast<size_t>(job->channels);
  if (png_get_bit_depth(png, info) != 8 || png_get_channels(png, info) != job->channels ||
      png_get_rowbytes(png, info) != row_bytes)
    return failed(job->out, "the PNG's pixel format cannot be converted to 8-bit grey or RGB");

  job->out->pixels = static_cast<unsigned char*>(std::malloc(row_bytes * h));
  job->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * h));
  if (job->out->pixels == nullptr || job->rows == nullptr) return failed(job->out, "out of memory");
  for (png_uint_32 y = 0; y < h; ++y) job->rows[y] = job->out->pixels + row_bytes * y;
  png_read_image(png, job->rows);  // all passes of an interlaced image
  return Status::kOk;
}

Status png_run(PngJob* job) {
  if (setjmp(png_jmpbuf(job->png))) return Status::kFailed;  // on_error recorded the message
  return png_body(job);
}

}  // namespace

Status decode_png(const uint8_t* bytes, size_t size, int channels, int64_t max_pixels, RawImage* out) {
  PngJob job{bytes, size, 0, channels, max_pixels, nullptr, nullptr, nullptr, out};
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error, on_warning);
  if (job.png == nullptr) return failed(out, "libpng could not start (out of memory?)");
  job.info = png_create_info_struct(job.png);
  const Status status = job.info != nullptr ? png_run(&job) : failed(out, "out of memory");
  png_destroy_read_struct(&job.png, &job.info, nullptr);
  std::free(job.rows);
  if (status != Status::kOk) {
    std::free(out->pixels);
    out->pixels = nullptr;
  }
  return status;
}

}  // namespace edgetrain::data::codec
