// bfloat16: the upper 16 bits of an IEEE f32 (8 exponent bits, 7 stored mantissa bits). Conversion
// from f32 rounds to nearest, ties to even (as the CPU's vcvtneps2bf16 and oneDNN do); NaN stays a
// quiet NaN. The relative rounding error of one conversion is at most 2^-8.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace edgetrain {

struct bf16 {
  uint16_t bits = 0;
};

// Unit roundoff of bf16: |round(x) - x| <= kBf16Epsilon * |x| for every finite x in range.
inline constexpr double kBf16Epsilon = 1.0 / 256.0;

// The conversions on the raw bits, branch-free (a select), so that loops over them vectorise (loops
// over arrays of the bf16 struct do not).
inline uint16_t bf16_bits(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (u >> 16) | 0x40u;
  return static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}
inline float from_bf16_bits(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

inline bf16 to_bf16(float x) { return {bf16_bits(x)}; }
inline float to_float(bf16 x) { return from_bf16_bits(x.bits); }
// x rounded to the nearest bf16, as an f32.
inline float round_to_bf16(float x) { return to_float(to_bf16(x)); }

// bf16 arrays as their raw bits (the layout of bf16 is one uint16_t).
inline const uint16_t* bits_of(const bf16* p) { return reinterpret_cast<const uint16_t*>(p); }
inline uint16_t* bits_of(bf16* p) { return reinterpret_cast<uint16_t*>(p); }

// Bulk conversions (vectorised for the CPU's widest ISA, parallel for large n).
void convert(const float* src, bf16* dst, std::size_t n);
void convert(const bf16* src, float* dst, std::size_t n);
// dst[i] = src[i] rounded to the nearest bf16, kept as f32.
void round_to_bf16(const float* src, float* dst, std::size_t n);
// dst[i] = round(dst[i] + src[i]) with the sum in f32 (gradient accumulation).
void add_into(bf16* dst, const bf16* src, std::size_t n);

}  // namespace edgetrain
