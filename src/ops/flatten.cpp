// Flatten: [N, ...] -> [N, prod(...)]. A view: the planner aliases dst with src, no step runs.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const FlattenAttrs&, std::span<const Shape> src) {
  expect_inputs("Flatten", src, 1, -1);
  ET_REQUIRE(src[0].rank() >= 2, "Flatten: needs a batch axis, got {}", src[0].str());
  return Shape{src[0][0], src[0].numel_from(1)};
}
BackwardReads reads(const FlattenAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
