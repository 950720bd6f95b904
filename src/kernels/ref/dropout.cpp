// Dropout. Training fwd: u_i = uniform [0, 1) from a counter-based hash (splitmix64) of
// (*step_seed, element index i); keep_i = u_i >= p; aux[0] (u8) = keep; dst = src * keep / (1 - p).
// per_sample: one draw per image (index = image), its mask applied to all of the image's elements.
// The mask depends only on the seed and the index: deterministic for any thread count.
// Non-training fwd: dst = src. bwd_data: diff_src = diff_dst * keep / (1 - p) (training), else a copy.
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline double uniform01(uint64_t seed, int64_t index) {
  const uint64_t h = splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(index));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

}  // namespace

void fwd(const DropoutAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!p.training) {
    if (args.dst.data != args.src[0].data) std::memcpy(args.dst.data, args.src[0].data, args.dst.bytes());
    return;
  }
  ET_ASSERT(args.step_seed != nullptr && detail::present(args.aux, 0));
  const uint64_t seed = *args.step_seed;
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
    uint8_t* keep = args.aux[0].as<uint8_t>();
    const T scale = static_cast<T>(1.0 / (1.0 - a.p));
    const int64_t n = args.dst.numel();
    if (a.per_sample) {
      const int64_t images = p.dst[0], per_image = n / images;
      for (int64_t b = 0; b < images; ++b) {
        const bool k = uniform01(seed, b) >= a.p;
        keep[b] = k ? 1 : 0;
        for (int64_t i = b * per_image; i < (b + 1) * per_image; ++i) y[i] = k ? x[i] * scale : T(0);
      }
      return;
    }
#pragma omp parallel for if (n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const bool k = uniform01(seed, i) >= a.p;
      keep[i] = k ? 1 : 0;
      const T v = x[i];
      y[i] = k ? v * scale : T(0);
    }
  });
}

void bwd_data(const DropoutAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  if (!p.training) {
    if (args.diff_src[0].data != args.diff_dst.data)
      std::memcpy(args.diff_src[0].data, args.diff_dst.data, args.diff_dst.bytes());
    return;
  }
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* dy = args.diff_dst.as<T>();
    const uint8_t* keep = args.aux[0].as<uint8_t>();
    T* dx = args.diff_src[0].as<T>();
    const T scale = static_cast<T>(1.0 / (1.0 - a.p));
    const int64_t n = args.diff_dst.numel();
    if (a.per_sample) {
      const int64_t per_image = n / p.dst[0];
      for (int64_t i = 0; i < n; ++i) dx[i] = keep[i / per_image] ? dy[i] * scale : T(0);
      return;
    }
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) {  // unconditional load: the loop vectorises
      const T grad = dy[i];
      dx[i] = keep[i] ? grad * scale : T(0);
    }
  });
}

std::size_t scratch_bytes(const DropoutAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
