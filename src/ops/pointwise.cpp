// Pointwise: one elementwise function of one input (leaky_relu, sigmoid, hard_sigmoid, hard_swish,
// scale, silu; see attrs.hpp). Backward reads dst for sigmoid (dy * y * (1 - y)), nothing for scale
// (dx = alpha * dy), and src for the others (their slopes depend on where x lies).
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const PointwiseAttrs& a, std::span<const Shape> src) {
  expect_inputs(pointwise_name(a.fn), src, 1, -1);
  return src[0];
}
BackwardReads reads(const PointwiseAttrs& a, Pass) {
  switch (a.fn) {
    case PointwiseFn::sigmoid: return {.dst = true};
    case PointwiseFn::scale: return {};
    case PointwiseFn::leaky_relu:
    case PointwiseFn::hard_sigmoid:
    case PointwiseFn::hard_swish:
    case PointwiseFn::silu: return {.src = true};
  }
  return {.src = true, .dst = true};
}

}  // namespace edgetrain::op_def
