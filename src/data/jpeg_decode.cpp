// JPEG through libjpeg-turbo's decompression API (libjpeg.txt: jpeg_read_header, jpeg_start_decompress,
// jpeg_read_scanlines). Our error manager records libjpeg's message and longjmps back to jpeg_run instead
// of libjpeg's default, which prints and calls exit(); see image_codecs.hpp for the rules.
#include <cstdio>  // jpeglib.h needs FILE
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <csetjmp>
#include <cstdlib>

#include "data/image_codecs.hpp"

namespace edgetrain::data::codec {

namespace {

// A progressive JPEG may have any number of scans, each a pass over the whole image: a small file of
// thousands of tiny scans takes minutes. Real files have about 10.
constexpr int kMaxScans = 1000;

// Everything a decode changes lives here, outside the frame that calls setjmp (jpeg_run).
struct JpegJob {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  const uint8_t* bytes;
  size_t size;
  int channels;
  int64_t max_pixels;
  RawImage* out;
};

JpegJob* job_of(j_common_ptr cinfo) { return static_cast<JpegJob*>(cinfo->client_data); }

// Records libjpeg's message for its current error or warning and leaves the decode.
[[noreturn]] void leave_with_message(j_common_ptr cinfo) {
  char text[JMSG_LENGTH_MAX] = {};
  (*cinfo->err->format_message)(cinfo, text);
  failed(job_of(cinfo)->out, text);
  std::longjmp(job_of(cinfo)->jump, 1);
}

[[noreturn]] void on_error_exit(j_common_ptr cinfo) { leave_with_message(cinfo); }

// Warnings (level -1) about corrupt data are accepted as libjpeg decodes past them, except the end of the
// file before the image's end: libjpeg would fill the missing rows with grey, we refuse the file.
void on_emit_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) leave_with_message(cinfo);
  cinfo->err->num_warnings++;
}

void on_output_message(j_common_ptr) {}  // nothing goes to stderr

void on_progress(j_common_ptr cinfo) {
  if (reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number > kMaxScans) {
    failed(job_of(cinfo)->out, "more than 1000 scans (a corrupt progressive JPEG)");
    std::longjmp(job_of(cinfo)->jump, 1);
  }
}

// The decode proper; any libjpeg error longjmps out of it (it holds nothing that needs destroying).
Status jpeg_body(JpegJob* job) {
  j_decompress_ptr cinfo = &job->cinfo;
  jpeg_create_decompress(cinfo);  // keeps err and client_data
  job->progress.progress_monitor = on_progress;
  cinfo->progress = &job->progress;
  jpeg_mem_src(cinfo, job->bytes, static_cast<unsigned long>(job->size));
  jpeg_read_header(cinfo, TRUE);  // an abbreviated (tables-only) file is an error
  job->out->width = static_cast<int>(cinfo->image_width);
  job->out->height = static_cast<int>(cinfo->image_height);
  if (int64_t{cinfo->image_width} * int64_t{cinfo->image_height} > job->max_pixels) return Status::kTooLarge;
  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK)
    return failed(job->out, "a CMYK or YCCK JPEG is not supported; convert it to RGB");
  cinfo->out_color_space = job->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);  // reads every scan of a progressive file
  const size_t row_bytes = size_t{cinfo->output_width} * static_cast<size_t>(job->channels);
  if (cinfo->output_components != job->channels || cinfo->output_width != cinfo->image_width ||
      cinfo->output_height != cinfo->image_height)
    return failed(job->out, "the JPEG cannot be converted to 8-bit grey or RGB");
  job->out->pixels = static_cast<unsigned char*>(std::malloc(row_bytes * cinfo->output_height));
  if (job->out->pixels == nullptr) return failed(job->out, "out of memory");
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = job->out->pixels + row_bytes * cinfo->output_scanline;
    if (jpeg_read_scanlines(cinfo, &row, 1) != 1) return failed(job->out, "the file is truncated");
  }
  // No jpeg_finish_decompress: what follows the last row (normally just EOI) does not matter.
  return Status::kOk;
}

Status jpeg_run(JpegJob* job) {
  if (setjmp(job->jump)) return Status::kFailed;  // the message is recorded
  return jpeg_body(job);
}

}  // namespace

Status decode_jpeg(const uint8_t* bytes, size_t size, int channels, int64_t max_pixels, RawImage* out) {
  JpegJob job{};
  job.bytes = bytes;
  job.size = size;
  job.channels = channels;
  job.max_pixels = max_pixels;
  job.out = out;
  job.cinfo.err = jpeg_std_error(&job.err);
  job.err.error_exit = on_error_exit;
  job.err.emit_message = on_emit_message;
  job.err.output_message = on_output_message;
  job.cinfo.client_data = &job;
  const Status status = jpeg_run(&job);
  jpeg_destroy_decompress(&job.cinfo);  // also after a failure anywhere, jpeg_create_decompress's included
  if (status != Status::kOk) {
    std::free(out->pixels);
    out->pixels = nullptr;
  }
  return status;
}

}  // namespace edgetrain::data::codec
