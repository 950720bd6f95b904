// Bilinear resize of an interleaved u8 image to planar (CHW) u8, half-pixel centres
// (align_corners = false, no antialiasing), rounded to nearest.
#pragma once
#include <cstdint>

namespace edgetrain::data {

// src: [src_h, src_w, channels] u8; dst: [channels, dst_h, dst_w] u8.
void resize_bilinear_hwc_to_chw(const uint8_t* src, int src_h, int src_w, int channels,
                                uint8_t* dst, int dst_h, int dst_w);

}  // namespace edgetrain::data
