// Elementwise helpers the runtime uses outside op kernels.
#pragma once
#include <cstdint>

#include "core/tensor_view.hpp"

namespace edgetrain::ref {

// dst += src (same element count and type: f32, f64, bf16 or fixed point, re-quantised with `seed`):
// sums the gradients of a tensor with several consumers.
void add_into(const TensorView& dst, const TensorView& src, uint64_t seed = 0);

}  // namespace edgetrain::ref
