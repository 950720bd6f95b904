#include "core/fixed_point.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/check.hpp"
#include "core/vector_isa.hpp"

namespace edgetrain {
namespace {

constexpr int64_t kParallelMin = 1 << 15;  // below this many elements the loops run on the calling thread

template <class F>
void for_each_element(std::size_t n, const F& f) {
  parallel_for_elements(static_cast<int64_t>(n), kParallelMin, f);
}

// [min, max] of value(i) over i < n, NaN ignored (+inf, -inf when there is no number).
template <class F>
std::pair<float, float> range_of(std::size_t n, const F& value) {
  constexpr int64_t kChunks = 64;
  float lo[kChunks], hi[kChunks];
  const auto count = static_cast<int64_t>(n);
  const int64_t chunks = std::clamp<int64_t>(count / kParallelMin, 1, kChunks);
  parallel_for_blocks(
      chunks, chunks > 1, [&](int64_t c) __attribute__((always_inline)) {
        float l = std::numeric_limits<float>::infinity(), h = -l;
        const int64_t end = count * (c + 1) / chunks;
#pragma omp simd reduction(min : l) reduction(max : h)
        for (int64_t i = count * c / chunks; i < end; ++i) {
          const float v = value(i);
          l = v < l ? v : l;
          h = v > h ? v : h;
        }
        lo[c] = l;
        hi[c] = h;
      });
  return {*std::min_element(lo, lo + chunks), *std::max_element(hi, hi + chunks)};
}

// floor(x * scale + draw), NaN → 0, saturated to the word length [qmin, qmax]; as f32.
inline float fixed_point_code(float x, float scale, float draw, float qmin, float qmax) {
  const float y = std::floor(x * scale + draw);
  return y == y ? std::min(std::max(y, qmin), qmax) : 0.0f;
}

struct Grid {
  float scale, step, qmin, qmax;  // 2^s, 2^-s, the integer range
};
Grid grid(int s, int bits) {
  const float top = std::ldexp(1.0f, bits - 1);
  return {std::ldexp(1.0f, s), std::ldexp(1.0f, -s), -top, top - 1.0f};
}

template <class Q, class F>
void quantize_as(std::size_t n, const F& value, DType t, void* dst, uint64_t seed) {
  const int bits = word_length(t);
  const auto [lo, hi] = range_of(n, value);
  const int s = scale_exponent(lo, hi, bits);
  const Grid g = grid(s, bits);
  const uint32_t key = seed_key(seed);
  Q* q = static_cast<Q*>(dst);
  for_each_element(
      n, [=](int64_t i) __attribute__((always_inline)) {
        q[i] = static_cast<Q>(
            fixed_point_code(value(i), g.scale, stochastic_draw(key, static_cast<std::size_t>(i)), g.qmin, g.qmax));
      });
  const auto exponent = static_cast<int32_t>(s);
  std::memcpy(static_cast<std::byte*>(dst) + fixed_point_payload(n, t), &exponent, sizeof exponent);
}

// f(as<Q>) with Q the storage type of fixed-point type t.
template <class F>
decltype(auto) with_storage(DType t, const F& f) {
  ET_ASSERT(is_fixed_point(t));
  if (t == DType::fx8) return f.template operator()<int8_t>();
  return f.template operator()<int16_t>();
}

}  // namespace

int scale_exponent(float lo, float hi, int bits) {
  const double top = std::ldexp(1.0, bits - 1);
  double bound = std::numeric_limits<double>::infinity();
  if (hi > 0) bound = std::min(bound, (top - 0.5) / static_cast<double>(hi));
  if (lo < 0) bound = std::min(bound, (top + 0.5) / -static_cast<double>(lo));
  if (std::isinf(bound)) return 0;                                    // no nonzero number
  if (bound == 0.0) return -kMaxExponent;                             // an infinite element
  return std::clamp(std::ilogb(bound), -kMaxExponent, kMaxExponent);  // floor(log2(bound))
}

int32_t fixed_point_exponent(const void* data, std::size_t n, DType t) {
  int32_t s = 0;
  std::memcpy(&s, static_cast<const std::byte*>(data) + fixed_point_payload(n, t), sizeof s);
  return s;
}

void quantize(const float* x, std::size_t n, DType t, void* dst, uint64_t seed) {
  const auto value = [=](int64_t i) __attribute__((always_inline)) { return x[i]; };
  with_storage(t, [&]<class Q>() { quantize_as<Q>(n, value, t, dst, seed); });
}

void dequantize(const void* src, std::size_t n, DType t, float* dst) {
  const float step = std::ldexp(1.0f, -fixed_point_exponent(src, n, t));
  with_storage(t, [&]<class Q>() {
    const Q* q = static_cast<const Q*>(src);
    for_each_element(
        n, [=](int64_t i) __attribute__((always_inline)) { dst[i] = static_cast<float>(q[i]) * step; });
  });
}

void round_to_fixed_point(const float* x, std::size_t n, int bits, float* dst, uint64_t seed) {
  const auto [lo, hi] = range_of(
      n, [=](int64_t i) __attribute__((always_inline)) { return x[i]; });
  const Grid g = grid(scale_exponent(lo, hi, bits), bits);
  const uint32_t key = seed_key(seed);
  for_each_element(
      n, [=](int64_t i) __attribute__((always_inline)) {
        dst[i] =
            fixed_point_code(x[i], g.scale, stochastic_draw(key, static_cast<std::size_t>(i)), g.qmin, g.qmax) * g.step;
      });
}

void add_into(void* dst, const void* src, std::size_t n, DType t, uint64_t seed) {
  const float a_step = std::ldexp(1.0f, -fixed_point_exponent(dst, n, t));
  const float b_step = std::ldexp(1.0f, -fixed_point_exponent(src, n, t));
  with_storage(t, [&]<class Q>() {
    const Q* a = static_cast<const Q*>(dst);
    const Q* b = static_cast<const Q*>(src);
    const auto sum = [=](int64_t i) __attribute__((always_inline)) {
      return static_cast<float>(a[i]) * a_step + static_cast<float>(b[i]) * b_step;
    };
    quantize_as<Q>(n, sum, t, dst, seed);  // element i is read before it is written
  });
}

}  // namespace edgetrain
