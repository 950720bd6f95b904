// ReLU: dst = max(src, 0). Backward reads only dst (dst > 0 exactly where src > 0).
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const ReluAttrs&, std::span<const Shape> src) {
  expect_inputs("ReLU", src, 1, -1);
  return src[0];
}
BackwardReads reads(const ReluAttrs&, Pass) { return {.dst = true}; }

}  // namespace edgetrain::op_def
