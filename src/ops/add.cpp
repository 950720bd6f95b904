// Add: dst = src0 + src1 (same shapes). Backward passes diff_dst to both inputs.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const AddAttrs&, std::span<const Shape> src) {
  expect_inputs("Add", src, 2, -1);
  ET_REQUIRE(src[0] == src[1], "Add: input shapes differ: {} vs {}", src[0].str(), src[1].str());
  return src[0];
}
BackwardReads reads(const AddAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
