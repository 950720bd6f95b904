// ReLU6: dst = min(max(src, 0), 6). Backward reads only dst (0 < dst < 6 exactly where the slope is 1).
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const Relu6Attrs&, std::span<const Shape> src) {
  expect_inputs("ReLU6", src, 1, -1);
  return src[0];
}
BackwardReads reads(const Relu6Attrs&, Pass) { return {.dst = true}; }

}  // namespace edgetrain::op_def
