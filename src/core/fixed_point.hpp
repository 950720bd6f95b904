// Dynamic fixed point (block floating point, MuPPET; docs/METHODS §4): a tensor of word length b
// stores integers q in [-2^(b-1), 2^(b-1) - 1] (int8 for fx8, int16 for fx12/fx14/fx16) and one
// power-of-two scale exponent s for all of them: x = q * 2^-s. The exponent is chosen from the
// tensor's range so the largest magnitude just fits,
//   s = floor(log2(min((2^(b-1) - 0.5) / max(x), (-2^(b-1) - 0.5) / min(x)))),
// taking only the terms whose sign makes them bounds (an all-zero tensor gets s = 0), and clamped to
// [-kMaxExponent, kMaxExponent]. Conversion rounds stochastically: q = floor(x * 2^s + v), v uniform in
// [0, 1) — unbiased, E[q * 2^-s] = x — then saturates (the bound above leaves at most a half step of
// headroom, which a draw can cross). NaN converts to 0. The sum x * 2^s + v is an f32 sum (the product
// is exact): for 16-bit words its rounding moves the threshold by at most 2^-9 of a step. The uniform draws come from a
// counter-based hash of (seed, element index): the same seed gives the same result however the loop is split across
// threads or vector lanes.
//
// A fixed-point tensor's buffer is its elements then the exponent (core/dtype.hpp: storage_bytes).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace edgetrain {

inline constexpr int kMaxExponent = 100;

// The word length b of a fixed-point type (8, 12, 14 or 16).
constexpr int word_length(DType t) {
  switch (t) {
    case DType::fx8: return 8;
    case DType::fx12: return 12;
    case DType::fx14: return 14;
    case DType::fx16: return 16;
    default: return 0;
  }
}

// The scale exponent s of the formula above for a tensor whose elements lie in [lo, hi].
int scale_exponent(float lo, float hi, int bits);

// The exponent stored with a fixed-point tensor of n elements at `data`.
int32_t fixed_point_exponent(const void* data, std::size_t n, DType t);

// x[0..n) → the fixed-point tensor at `dst` (elements and exponent), rounding stochastically with `seed`.
void quantize(const float* x, std::size_t n, DType t, void* dst, uint64_t seed);
// The fixed-point tensor at `src` → f32 (exact: every value q * 2^-s is an f32).
void dequantize(const void* src, std::size_t n, DType t, float* dst);
// dst[i] = x[i] quantised to word length `bits` and back (rounding stochastically with `seed`): the
// values a b-bit copy of x holds, kept f32. dst may be x.
void round_to_fixed_point(const float* x, std::size_t n, int bits, float* dst, uint64_t seed);
// dst += src for two fixed-point tensors of type t (their sum re-quantised with `seed`).
void add_into(void* dst, const void* src, std::size_t n, DType t, uint64_t seed);

// The uniform draw in [0, 1) for element i under `seed` (the generator the conversions use; exposed
// for tests): stochastic_draw(seed_key(seed), i). 24 random bits.
inline uint32_t seed_key(uint64_t seed) { return static_cast<uint32_t>((seed * 0x9E3779B97F4A7C15ull) >> 32); }
inline float stochastic_draw(uint32_t key, std::size_t i) {
  uint32_t x = static_cast<uint32_t>(i) * 0x9E3779B9u + key;
  x ^= x >> 16;  // lowbias32 (C. Wellons): a full-avalanche 32-bit mix that vectorises
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return static_cast<float>(x >> 8) * 0x1p-24f;
}

}  // namespace edgetrain
