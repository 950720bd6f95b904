// Elementwise helpers the runtime uses outside op kernels.
#pragma once
#include "core/tensor_view.hpp"

namespace edgetrain::ref {

// dst += src (same element count, f32 or f64): sums the gradients of a tensor with several consumers.
void add_into(const TensorView& dst, const TensorView& src);

}  // namespace edgetrain::ref
