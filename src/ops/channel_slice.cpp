// ChannelSlice: dst = src[:, begin:end, ...]. Backward scatters diff_dst into diff_src's channels
// [begin, end) and zeros the others (a value read by several slices sums their gradients).
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const ChannelSliceAttrs& a, std::span<const Shape> src) {
  expect_inputs("ChannelSlice", src, 1, -1);
  ET_REQUIRE(src[0].rank() >= 2, "ChannelSlice: the input must have a channel axis, got {}", src[0].str());
  ET_REQUIRE(0 <= a.begin && a.begin < a.end && a.end <= src[0][1],
             "ChannelSlice: channels [{}, {}) are not a non-empty range of the input's {} channels", a.begin, a.end,
             src[0][1]);
  return src[0].with_dim(1, a.end - a.begin);
}
BackwardReads reads(const ChannelSliceAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
