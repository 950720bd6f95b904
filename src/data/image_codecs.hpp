// The PNG (libpng) and JPEG (libjpeg-turbo) decoders behind decode_image. Both libraries report errors by
// longjmp, so these are C-style functions: no C++ object with a destructor lives in the frames a longjmp
// may cross, the result is plain memory and a failure is a message, not an exception; decode_image turns
// it into an edgetrain::Error naming the file.
#pragma once
#include <cstddef>
#include <cstdint>

namespace edgetrain::data::codec {

enum class Status { kOk, kTooLarge, kFailed };

// What a decode returns. width and height are the header's (set for kTooLarge too). On kOk, pixels is a
// malloc'd [height, width, channels] buffer the caller frees with std::free (nullptr for an image of no
// pixels, which decode_image refuses); otherwise it is nullptr and message says why.
struct RawImage {
  int width = 0, height = 0;
  unsigned char* pixels = nullptr;
  char message[256] = {};
};

// Decode to `channels` (1 grey, 3 RGB) 8-bit samples; an image of more than max_pixels pixels (from its
// header) is kTooLarge before any pixel is decoded.
Status decode_png(const uint8_t* bytes, size_t size, int channels, int64_t max_pixels, RawImage* out);
Status decode_jpeg(const uint8_t* bytes, size_t size, int channels, int64_t max_pixels, RawImage* out);

// Copies `text` into out->message (truncated to fit) and returns kFailed.
Status failed(RawImage* out, const char* text);

}  // namespace edgetrain::data::codec
