#include "kernels/native/bn_blocked.hpp"

#include "core/bf16.hpp"
#include "core/vector_isa.hpp"
#include "kernels/native/activation_mask.hpp"
#include "kernels/ref/common.hpp"

#include <algorithm>
#include <cmath>

namespace edgetrain::native::bn_blocked {
namespace {

constexpr int64_t B = kChannelBlock;
constexpr int64_t kChunk = 512;  // positions summed in float before the double accumulators

using Range = ActivationRange;

// Channel blocks of an extent (the last one partial when C is not a multiple of 16: its padding lanes
// are computed with zero statistics and parameters, and never stored per channel).
inline int64_t blocks_of(const Extent& e) { return blocked_channels(e.C) / B; }
// Real channels of block cb.
[[gnu::always_inline]] inline int64_t lanes(const Extent& e, int64_t cb) { return std::min(B, e.C - cb * B); }
// v[c0 + j] for the block's real lanes, 0 for its padding lanes.
[[gnu::always_inline]] inline void load_channels(const float* v, int64_t c0, int64_t valid, float* out) {
  for (int64_t j = 0; j < B; ++j) out[j] = j < valid ? v[c0 + j] : 0.f;
}

// Element loads and stores: f32 computation over f32 or bf16 storage (bf16 as its raw bits, which
// vectorise).
[[gnu::always_inline]] inline float ld(float v) { return v; }
[[gnu::always_inline]] inline float ld(uint16_t v) { return from_bf16_bits(v); }
[[gnu::always_inline]] inline float st(float v, float*) { return v; }
[[gnu::always_inline]] inline uint16_t st(float v, uint16_t*) { return bf16_bits(v); }

// The gradient passes where the output is strictly inside the range (as the reference ReLU/ReLU6
// backward: dy where y > 0, and y < 6 for ReLU6).
template <bool Mask>
[[gnu::always_inline]] inline float masked(float dy, float y, Range r) {
  if constexpr (Mask) return ((y > r.lo) & (y < r.hi)) ? dy : 0.f;
  return dy;
}

template <bool Mask, class T>
[[gnu::always_inline]] inline void sums_body(const T* x, const T* dy, const T* y, Range r, const float* mean,
                                             const Extent& e, double* s1, double* s2) {
  const int64_t blocks = blocks_of(e);
  parallel_for_blocks(
      blocks, e.N * e.C * e.S > (1 << 15), [&](int64_t cb) __attribute__((always_inline)) {
        double a1[B] = {}, a2[B] = {};
        float m[B];
        load_channels(mean, cb * B, lanes(e, cb), m);
        for (int64_t n = 0; n < e.N; ++n) {
          const int64_t base = (n * blocks + cb) * e.S * B;
          for (int64_t start = 0; start < e.S; start += kChunk) {
            const int64_t end = std::min(e.S, start + kChunk);
            float r1[B] = {}, r2[B] = {};
            for (int64_t i = start; i < end; ++i)
#pragma omp simd
              for (int64_t j = 0; j < B; ++j) {
                const int64_t k = base + i * B + j;
                const float g = masked<Mask>(ld(dy[k]), Mask ? ld(y[k]) : 0.f, r);
                r1[j] += g;
                r2[j] += g * (ld(x[k]) - m[j]);
              }
            for (int64_t j = 0; j < B; ++j) a1[j] += r1[j], a2[j] += r2[j];
          }
        }
        for (int64_t j = 0; j < lanes(e, cb); ++j) s1[cb * B + j] = a1[j], s2[cb * B + j] = a2[j];
      });
}

template <bool Mask, class T>
[[gnu::always_inline]] inline void grad_body(const T* x, const T* dy, const T* y, Range r, const float* mean,
                                             const float* a, const float* b, const float* c, const Extent& e, T* dx) {
  const int64_t blocks = blocks_of(e);
  parallel_for_blocks(
      e.N * blocks, e.N * e.C * e.S > (1 << 15), [&](int64_t nb) __attribute__((always_inline)) {
        const int64_t c0 = (nb % blocks) * B, valid = lanes(e, nb % blocks);
        float ka[B], kb[B], kc[B], m[B];
        load_channels(a, c0, valid, ka);
        load_channels(b, c0, valid, kb);
        load_channels(c, c0, valid, kc);
        load_channels(mean, c0, valid, m);
        const int64_t base = nb * e.S * B;
        for (int64_t i = 0; i < e.S; ++i)
#pragma omp simd
          for (int64_t j = 0; j < B; ++j) {
            const int64_t k = base + i * B + j;
            const float g = masked<Mask>(ld(dy[k]), Mask ? ld(y[k]) : 0.f, r);
            dx[k] = st(ka[j] * g - kb[j] * (ld(x[k]) - m[j]) - kc[j], dx);
          }
      });
}

template <class T>
[[gnu::always_inline]] inline void statistics_body(const T* x, const Extent& e, float* mean, float* var) {
  const int64_t blocks = blocks_of(e);
  parallel_for_blocks(
      blocks, e.N * e.C * e.S > (int64_t{1} << 15), [&](int64_t cb) __attribute__((always_inline)) {
        float k[B];  // one value of each channel: the shifted sums do not cancel
        double s1[B] = {}, s2[B] = {};
        for (int64_t j = 0; j < B; ++j) k[j] = ld(x[cb * e.S * B + j]);
        for (int64_t n = 0; n < e.N; ++n) {
          const T* blk = x + (n * blocks + cb) * e.S * B;
          for (int64_t start = 0; start < e.S; start += kChunk) {
            const int64_t end = std::min(e.S, start + kChunk);
            float r1[B] = {}, r2[B] = {};
            for (int64_t i = start; i < end; ++i)
#pragma omp simd
              for (int64_t j = 0; j < B; ++j) {
                const float t = ld(blk[i * B + j]) - k[j];
                r1[j] += t;
                r2[j] += t * t;
              }
            for (int64_t j = 0; j < B; ++j) s1[j] += r1[j], s2[j] += r2[j];
          }
        }
        const double M = static_cast<double>(e.N * e.S);
        for (int64_t j = 0; j < lanes(e, cb); ++j) {
          const double m1 = s1[j] / M;
          mean[cb * B + j] = static_cast<float>(k[j] + m1);
          var[cb * B + j] = static_cast<float>(std::max(0.0, s2[j] / M - m1 * m1));
        }
      });
}

template <class T>
[[gnu::always_inline]] inline void normalize_body(const T* x, const float* mean, const float* scale, const float* shift,
                                                  Range r, const Extent& e, T* y) {
  const int64_t blocks = blocks_of(e);
  parallel_for_blocks(
      e.N * blocks, e.N * e.C * e.S > (1 << 15), [&](int64_t nb) __attribute__((always_inline)) {
        const int64_t c0 = (nb % blocks) * B, valid = lanes(e, nb % blocks);
        float m[B], a[B], b[B];
        load_channels(mean, c0, valid, m);
        load_channels(scale, c0, valid, a);
        load_channels(shift, c0, valid, b);
        const int64_t base = nb * e.S * B;
        for (int64_t i = 0; i < e.S; ++i)
#pragma omp simd
          for (int64_t j = 0; j < B; ++j) {
            const int64_t k = base + i * B + j;
            y[k] = st(std::min(std::max((ld(x[k]) - m[j]) * a[j] + b[j], r.lo), r.hi), y);
          }
      });
}

}  // namespace

// One compiled entry point per storage type and ISA (target_clones does not apply to templates); bf16
// arrays are handed to the loops as their raw bits.
void statistics(const float* x, const Extent& e, float* mean, float* var) { statistics_body(x, e, mean, var); }
void statistics(const bf16* x, const Extent& e, float* mean, float* var) { statistics_body(bits_of(x), e, mean, var); }

void normalize(const float* x, const float* mean, const float* scale, const float* shift, Activation act,
               const Extent& e, float* y) {
  normalize_body(x, mean, scale, shift, range_of(act), e, y);
}
void normalize(const bf16* x, const float* mean, const float* scale, const float* shift, Activation act,
               const Extent& e, bf16* y) {
  normalize_body(bits_of(x), mean, scale, shift, range_of(act), e, bits_of(y));
}

namespace {

template <class T>
[[gnu::always_inline]] inline void sums_of(const T* x, const T* dy, const T* y, Activation act, const float* mean,
                                           const Extent& e, double* s1, double* s2) {
  if (act != Activation::none) return sums_body<true>(x, dy, y, range_of(act), mean, e, s1, s2);
  sums_body<false>(x, dy, y, range_of(act), mean, e, s1, s2);
}

template <class T>
[[gnu::always_inline]] inline void backward_of(const T* x, const T* dy, const T* y, Activation act, const float* mean,
                                               const float* a, const float* b, const float* c, const Extent& e, T* dx) {
  if (act != Activation::none) return grad_body<true>(x, dy, y, range_of(act), mean, a, b, c, e, dx);
  grad_body<false>(x, dy, y, range_of(act), mean, a, b, c, e, dx);
}

}  // namespace

void channel_sums(const float* x, const float* dy, const float* y, Activation act, const float* mean, const Extent& e,
                  double* s1, double* s2) {
  sums_of(x, dy, y, act, mean, e, s1, s2);
}
void channel_sums(const bf16* x, const bf16* dy, const bf16* y, Activation act, const float* mean, const Extent& e,
                  double* s1, double* s2) {
  sums_of(bits_of(x), bits_of(dy), y ? bits_of(y) : nullptr, act, mean, e, s1, s2);
}

void backward(const float* x, const float* dy, const float* y, Activation act, const float* mean, const float* a,
              const float* b, const float* c, const Extent& e, float* dx) {
  backward_of(x, dy, y, act, mean, a, b, c, e, dx);
}
void backward(const bf16* x, const bf16* dy, const bf16* y, Activation act, const float* mean, const float* a,
              const float* b, const float* c, const Extent& e, bf16* dx) {
  backward_of(bits_of(x), bits_of(dy), y ? bits_of(y) : nullptr, act, mean, a, b, c, e, bits_of(dx));
}

void store_statistics(const KernelArgs& args, const BatchNormAttrs& a, int64_t C, int64_t M_, bool training,
                      const float* mean, const float* var) {
  const bool aux = ref::detail::present(args.aux, 1), state = ref::detail::present(args.state, 1);
  const double M = static_cast<double>(M_), m = a.momentum;
  for (int64_t c = 0; c < C; ++c) {
    if (training) {
      if (aux) {
        args.aux[0].as<float>()[c] = mean[c];
        args.aux[1].as<float>()[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + a.eps));
      }
      if (state) {
        const double unbiased = M_ > 1 ? var[c] * M / (M - 1) : var[c];
        float* rm = args.state[0].as<float>();
        float* rv = args.state[1].as<float>();
        rm[c] = static_cast<float>((1.0 - m) * rm[c] + m * mean[c]);
        rv[c] = static_cast<float>((1.0 - m) * rv[c] + m * unbiased);
      }
    } else if (aux) {
      args.aux[0].as<float>()[c] = args.state[0].as<float>()[c];
      args.aux[1].as<float>()[c] =
          static_cast<float>(1.0 / std::sqrt(static_cast<double>(args.state[1].as<float>()[c]) + a.eps));
    }
  }
}

}  // namespace edgetrain::native::bn_blocked
