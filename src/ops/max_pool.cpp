// MaxPool2d: src [N, C, H, W] -> dst [N, C, OH, OW]; training forward saves the argmax index (i32) of
// each output within its input plane, so backward reads neither src nor dst.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const MaxPoolAttrs& a, std::span<const Shape> src) {
  expect_inputs("MaxPool2d", src, 1, 4);
  expect_pool_geometry("MaxPool2d", a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w);
  int64_t oh = pooled_size(src[0][2], a.kernel_h, a.stride_h, a.pad_h, 1, a.ceil_mode);
  int64_t ow = pooled_size(src[0][3], a.kernel_w, a.stride_w, a.pad_w, 1, a.ceil_mode);
  ET_REQUIRE(oh > 0 && ow > 0, "MaxPool2d: a {}x{} window does not fit input {}", a.kernel_h, a.kernel_w,
             src[0].str());
  return Shape{src[0][0], src[0][1], oh, ow};
}

std::vector<AuxSpec> aux(const MaxPoolAttrs&, std::span<const Shape>, const Shape& dst, bool training) {
  if (!training) return {};
  return {{"indices", dst, DType::i32}};
}

BackwardReads reads(const MaxPoolAttrs&, Pass) { return {.aux = true}; }

}  // namespace edgetrain::op_def
