#include "core/bf16.hpp"

#include "core/vector_isa.hpp"

namespace edgetrain {
namespace {

// Below this many elements the loops run on the calling thread.
constexpr int64_t kParallelMin = 1 << 15;

template <class F>
void for_each_element(std::size_t n, const F& f) {
  parallel_for_elements(static_cast<int64_t>(n), kParallelMin, f);
}

}  // namespace

void convert(const float* src, bf16* dst, std::size_t n) {
  uint16_t* out = bits_of(dst);
  for_each_element(
      n, [=](int64_t i) __attribute__((always_inline)) { out[i] = bf16_bits(src[i]); });
}

void convert(const bf16* src, float* dst, std::size_t n) {
  const uint16_t* in = bits_of(src);
  for_each_element(
      n, [=](int64_t i) __attribute__((always_inline)) { dst[i] = from_bf16_bits(in[i]); });
}

void round_to_bf16(const float* src, float* dst, std::size_t n) {
  for_each_element(
      n, [=](int64_t i) __attribute__((always_inline)) { dst[i] = from_bf16_bits(bf16_bits(src[i])); });
}

void add_into(bf16* dst, const bf16* src, std::size_t n) {
  uint16_t* d = bits_of(dst);
  const uint16_t* in = bits_of(src);
  for_each_element(
      n, [=](int64_t i)
             __attribute__((always_inline)) { d[i] = bf16_bits(from_bf16_bits(d[i]) + from_bf16_bits(in[i])); });
}

}  // namespace edgetrain
