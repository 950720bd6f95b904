#include "kernels/native/activation_mask.hpp"

#include "core/bf16.hpp"

namespace edgetrain::native {

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void mask_gradient(float* dy,
                                                                                                 const float* y,
                                                                                                 int64_t n,
                                                                                                 Activation act) {
  const ActivationRange r = range_of(act);
#pragma omp parallel for simd if (parallel : n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) dy[i] = ((y[i] > r.lo) & (y[i] < r.hi)) ? dy[i] : 0.f;
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void mask_gradient(bf16* dy,
                                                                                                 const bf16* y,
                                                                                                 int64_t n,
                                                                                                 Activation act) {
  const ActivationRange r = range_of(act);
#pragma omp parallel for simd if (parallel : n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float v = to_float(y[i]);
    dy[i] = ((v > r.lo) & (v < r.hi)) ? dy[i] : bf16{};
  }
}

void mask_gradient(const TensorView& dy, const TensorView& y, Activation act) {
  ET_ASSERT(dy.dtype == y.dtype && dy.numel() == y.numel());
  if (dy.dtype == DType::bf16) return mask_gradient(dy.as<bf16>(), y.as<bf16>(), dy.numel(), act);
  mask_gradient(dy.as<float>(), y.as<float>(), dy.numel(), act);
}

}  // namespace edgetrain::native
