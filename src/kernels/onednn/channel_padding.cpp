#include "kernels/onednn/channel_padding.hpp"

#include <algorithm>
#include <cstring>

#include "core/layout.hpp"

namespace edgetrain::onednn::channel_padding {

constexpr int64_t B = kChannelBlock;

void to_padded_blocked(const float* in, int64_t N, int64_t C, int64_t S, float* out) {
  const int64_t blocks = blocked_channels(C) / B;
#pragma omp parallel for if (N * C * S > (1 << 15)) schedule(static)
  for (int64_t k = 0; k < N * blocks; ++k) {
    const int64_t n = k / blocks, c0 = k % blocks * B, width = std::min(B, C - c0);
    float* o = out + k * S * B;
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t j = 0; j < width; ++j) o[s * B + j] = in[(n * C + c0 + j) * S + s];
      for (int64_t j = width; j < B; ++j) o[s * B + j] = 0.f;
    }
  }
}

void from_padded_blocked(const float* in, int64_t N, int64_t C, int64_t S, float* out) {
  const int64_t blocks = blocked_channels(C) / B;
#pragma omp parallel for if (N * C * S > (1 << 15)) schedule(static)
  for (int64_t k = 0; k < N * blocks; ++k) {
    const int64_t n = k / blocks, c0 = k % blocks * B, width = std::min(B, C - c0);
    const float* i = in + k * S * B;
    for (int64_t j = 0; j < width; ++j) {
      float* row = out + (n * C + c0 + j) * S;
      for (int64_t s = 0; s < S; ++s) row[s] = i[s * B + j];
    }
  }
}

void pad_filter_inputs(const float* w, const int64_t* offsets, int64_t OC, int64_t IC, int64_t taps, float* out) {
  const int64_t ICp = blocked_channels(IC), row = IC * taps;
  for (int64_t o = 0; o < OC; ++o) {
    float* dst = out + o * ICp * taps;
    if (offsets)
      for (int64_t i = 0; i < row; ++i) dst[i] = w[offsets[o * row + i]];
    else
      std::memcpy(dst, w + o * row, static_cast<std::size_t>(row) * sizeof(float));
    std::memset(dst + row, 0, static_cast<std::size_t>((ICp - IC) * taps) * sizeof(float));
  }
}

void unpad_filter_inputs(const float* padded_w, const int64_t* offsets, int64_t OC, int64_t IC, int64_t taps,
                         float* out) {
  const int64_t ICp = blocked_channels(IC), row = IC * taps;
  for (int64_t o = 0; o < OC; ++o) {
    const float* src = padded_w + o * ICp * taps;
    if (offsets)
      for (int64_t i = 0; i < row; ++i) out[offsets[o * row + i]] = src[i];
    else
      std::memcpy(out + o * row, src, static_cast<std::size_t>(row) * sizeof(float));
  }
}

}  // namespace edgetrain::onednn::channel_padding
