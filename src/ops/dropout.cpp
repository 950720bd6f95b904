// Dropout: training dst = src * mask / (1 - p), the u8 keep-mask saved for backward (one per element,
// or one per image with per_sample); identity in eval.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const DropoutAttrs& a, std::span<const Shape> src) {
  expect_inputs("Dropout", src, 1, -1);
  ET_REQUIRE(a.p >= 0.0 && a.p < 1.0, "Dropout: p must be in [0, 1), got {}", a.p);
  return src[0];
}
std::vector<AuxSpec> aux(const DropoutAttrs& a, std::span<const Shape>, const Shape& dst, bool training) {
  if (!training) return {};
  return {{"mask", a.per_sample ? Shape{dst[0]} : dst, DType::u8}};
}
BackwardReads reads(const DropoutAttrs&, Pass) { return {.aux = true}; }

}  // namespace edgetrain::op_def
