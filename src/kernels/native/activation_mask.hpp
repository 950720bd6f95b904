// The derivative side of a fused activation (KernelProblem::fused_activation): the incoming gradient
// passes where the activation's output is strictly inside its range — ReLU (0, inf), ReLU6 (0, 6) —
// as the reference ReLU / ReLU6 backward decides.
#pragma once
#include <cstdint>
#include <limits>

#include "kernels/kernel.hpp"

namespace edgetrain::native {

struct ActivationRange {
  float lo, hi;
};
inline ActivationRange range_of(Activation act) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  switch (act) {
    case Activation::relu: return {0.f, inf};
    case Activation::relu6: return {0.f, 6.f};
    case Activation::none: break;
  }
  return {-inf, inf};
}

// dy[i] = 0 where y[i] is outside the open range, for n elements (any layout: element-wise).
void mask_gradient(float* dy, const float* y, int64_t n, Activation act);
void mask_gradient(bf16* dy, const bf16* y, int64_t n, Activation act);
// The same over views of one type (f32 or bf16) storing n elements (a padded blocked tensor stores
// more than its shape's count).
void mask_gradient(const TensorView& dy, const TensorView& y, int64_t n, Activation act);

}  // namespace edgetrain::native
