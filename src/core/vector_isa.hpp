// Element loops compiled for the CPU's widest vector ISA, chosen at run time. The project builds for
// the x86-64 baseline (SSE2); a loop that converts bf16 or masks by lanes runs 2-4x faster with
// AVX-512. GCC's target_clones does not reach the bodies OpenMP outlines from a parallel region (they
// keep the baseline ISA), so a parallel loop is written once as a block function (a lambda, inlined)
// and run by parallel_for_blocks, whose per-ISA instances carry the target attribute themselves.
#pragma once
#include <algorithm>
#include <cstdint>

namespace edgetrain {

enum class VectorIsa : uint8_t { baseline, x86_64_v3, x86_64_v4 };  // SSE2; AVX2 + FMA; AVX-512

// The widest level this CPU runs (detected once).
inline VectorIsa vector_isa() {
  static const VectorIsa isa = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return VectorIsa::x86_64_v4;
    if (__builtin_cpu_supports("x86-64-v3")) return VectorIsa::x86_64_v3;
    return VectorIsa::baseline;
  }();
  return isa;
}

namespace detail {

template <class F>
__attribute__((target("arch=x86-64-v4"))) void for_blocks_v4(int64_t n, bool parallel, const F& block) {
#pragma omp parallel for if (parallel) schedule(static)
  for (int64_t i = 0; i < n; ++i) block(i);
}
template <class F>
__attribute__((target("arch=x86-64-v3"))) void for_blocks_v3(int64_t n, bool parallel, const F& block) {
#pragma omp parallel for if (parallel) schedule(static)
  for (int64_t i = 0; i < n; ++i) block(i);
}
template <class F>
void for_blocks_baseline(int64_t n, bool parallel, const F& block) {
#pragma omp parallel for if (parallel) schedule(static)
  for (int64_t i = 0; i < n; ++i) block(i);
}

}  // namespace detail

// block(i) for i in [0, n), in parallel when `parallel`, compiled for the CPU's widest ISA. `block`
// must be inlinable into each instance: a lambda marked [[gnu::always_inline]] calling
// always_inline functions (what it calls out of line keeps the baseline ISA).
template <class F>
void parallel_for_blocks(int64_t n, bool parallel, const F& block) {
  switch (vector_isa()) {
    case VectorIsa::x86_64_v4: return detail::for_blocks_v4(n, parallel, block);
    case VectorIsa::x86_64_v3: return detail::for_blocks_v3(n, parallel, block);
    case VectorIsa::baseline: break;
  }
  detail::for_blocks_baseline(n, parallel, block);
}

// f(i) for every i in [0, n) (an element-wise loop body, inlinable as `block` above), in blocks of
// 4096 elements, vectorised for the widest ISA, in parallel from `parallel_from` elements on.
template <class F>
void parallel_for_elements(int64_t n, int64_t parallel_from, const F& f) {
  constexpr int64_t kBlock = 4096;
  parallel_for_blocks((n + kBlock - 1) / kBlock, n >= parallel_from, [&](int64_t b) __attribute__((always_inline)) {
    const int64_t end = std::min(n, (b + 1) * kBlock);
#pragma omp simd
    for (int64_t i = b * kBlock; i < end; ++i) f(i);
  });
}

}  // namespace edgetrain
