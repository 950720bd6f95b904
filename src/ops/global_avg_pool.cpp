// GlobalAvgPool: src [N, C, H, W] -> dst [N, C, 1, 1].
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const GlobalAvgPoolAttrs&, std::span<const Shape> src) {
  expect_inputs("GlobalAvgPool", src, 1, 4);
  return Shape{src[0][0], src[0][1], 1, 1};
}
BackwardReads reads(const GlobalAvgPoolAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
