// Mul: dst = a * b with b of a's shape or [N, C, 1, 1] (broadcast over H, W). Backward reads both
// inputs: da = dy * b, db = dy * a (summed over H, W where b was broadcast).
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const MulAttrs&, std::span<const Shape> src) {
  expect_inputs("Mul", src, 2, -1);
  const Shape& a = src[0];
  const Shape& b = src[1];
  const bool gate = a.rank() == 4 && b == Shape({a[0], a[1], 1, 1});
  ET_REQUIRE(a == b || gate, "Mul: the second input must have the first's shape {} or be [N, C, 1, 1] ({}), got {}",
             a.str(), a.rank() == 4 ? Shape({a[0], a[1], 1, 1}).str() : std::string("4-D inputs only"), b.str());
  return a;
}
BackwardReads reads(const MulAttrs&, Pass) { return {.src = true}; }

}  // namespace edgetrain::op_def
