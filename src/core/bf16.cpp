#include "core/bf16.hpp"

namespace edgetrain {
namespace {

// Below this many elements the loops run on the calling thread.
constexpr std::size_t kParallelMin = 1 << 15;

}  // namespace

__attribute__((target_clones("arch=x86-64-v4", "default"))) void convert(const float* src, bf16* dst, std::size_t n) {
  const auto count = static_cast<int64_t>(n);
#pragma omp parallel for simd if (parallel : n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < count; ++i) dst[i] = to_bf16(src[i]);
}

__attribute__((target_clones("arch=x86-64-v4", "default"))) void convert(const bf16* src, float* dst, std::size_t n) {
  const auto count = static_cast<int64_t>(n);
#pragma omp parallel for simd if (parallel : n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < count; ++i) dst[i] = to_float(src[i]);
}

__attribute__((target_clones("arch=x86-64-v4", "default"))) void round_to_bf16(const float* src, float* dst,
                                                                               std::size_t n) {
  const auto count = static_cast<int64_t>(n);
#pragma omp parallel for simd if (parallel : n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < count; ++i) dst[i] = round_to_bf16(src[i]);
}

__attribute__((target_clones("arch=x86-64-v4", "default"))) void add_into(bf16* dst, const bf16* src, std::size_t n) {
  const auto count = static_cast<int64_t>(n);
#pragma omp parallel for simd if (parallel : n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < count; ++i) dst[i] = to_bf16(to_float(dst[i]) + to_float(src[i]));
}

}  // namespace edgetrain
