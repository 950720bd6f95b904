// AvgPool2d: src [N, C, H, W] -> dst [N, C, OH, OW]. Backward needs only shapes.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const AvgPoolAttrs& a, std::span<const Shape> src) {
  expect_inputs("AvgPool2d", src, 1, 4);
  expect_pool_geometry("AvgPool2d", a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w);
  int64_t oh = pooled_size(src[0][2], a.kernel_h, a.stride_h, a.pad_h, 1, a.ceil_mode);
  int64_t ow = pooled_size(src[0][3], a.kernel_w, a.stride_w, a.pad_w, 1, a.ceil_mode);
  ET_REQUIRE(oh > 0 && ow > 0, "AvgPool2d: a {}x{} window does not fit input {}", a.kernel_h, a.kernel_w,
             src[0].str());
  return Shape{src[0][0], src[0][1], oh, ow};
}

BackwardReads reads(const AvgPoolAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
