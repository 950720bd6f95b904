#include "kernels/native/activation_mask.hpp"

namespace edgetrain::native {

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void mask_gradient(float* dy, const float* y, int64_t n, Activation act) {
  const ActivationRange r = range_of(act);
#pragma omp parallel for simd if (parallel: n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) dy[i] = ((y[i] > r.lo) & (y[i] < r.hi)) ? dy[i] : 0.f;
}

}  // namespace edgetrain::native
