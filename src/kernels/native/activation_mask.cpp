#include "kernels/native/activation_mask.hpp"

#include "core/bf16.hpp"
#include "core/vector_isa.hpp"

namespace edgetrain::native {

namespace {
constexpr int64_t kParallelMin = 1 << 16;
}  // namespace

void mask_gradient(float* dy, const float* y, int64_t n, Activation act) {
  const ActivationRange r = range_of(act);
  parallel_for_elements(
      n, kParallelMin, [=](int64_t i) __attribute__((always_inline)) {
        dy[i] = ((y[i] > r.lo) & (y[i] < r.hi)) ? dy[i] : 0.f;
      });
}

void mask_gradient(bf16* dy, const bf16* y, int64_t n, Activation act) {
  const ActivationRange r = range_of(act);
  uint16_t* g = bits_of(dy);
  const uint16_t* out = bits_of(y);
  parallel_for_elements(
      n, kParallelMin, [=](int64_t i) __attribute__((always_inline)) {
        const float v = from_bf16_bits(out[i]);
        g[i] = ((v > r.lo) & (v < r.hi)) ? g[i] : uint16_t{0};
      });
}

void mask_gradient(const TensorView& dy, const TensorView& y, int64_t n, Activation act) {
  ET_ASSERT(dy.dtype == y.dtype && dy.numel() == y.numel() && n >= dy.numel());
  if (dy.dtype == DType::bf16) return mask_gradient(dy.as<bf16>(), y.as<bf16>(), n, act);
  mask_gradient(dy.as<float>(), y.as<float>(), n, act);
}

}  // namespace edgetrain::native
