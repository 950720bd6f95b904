// Conv2d: src [N, C, H, W], weight [OC, C/groups, KH, KW], bias [OC] -> dst [N, OC, OH, OW].
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const Conv2dAttrs& a, std::span<const Shape> src) {
  expect_inputs("Conv2d", src, 1, 4);
  const Shape& x = src[0];
  ET_REQUIRE(a.groups >= 1 && a.in_channels % a.groups == 0 && a.out_channels % a.groups == 0,
             "Conv2d: channels {}->{} are not divisible by groups {}", a.in_channels, a.out_channels, a.groups);
  ET_REQUIRE(x[1] == a.in_channels, "Conv2d: input has {} channels but the layer expects {} (input {})", x[1],
             a.in_channels, x.str());
  ET_REQUIRE(a.stride_h > 0 && a.stride_w > 0 && a.dilation_h > 0 && a.dilation_w > 0 && a.kernel_h > 0 &&
                 a.kernel_w > 0 && a.pad_h >= 0 && a.pad_w >= 0,
             "Conv2d: kernel, stride and dilation must be positive and padding non-negative");
  int64_t oh = pooled_size(x[2], a.kernel_h, a.stride_h, a.pad_h, a.dilation_h, false);
  int64_t ow = pooled_size(x[3], a.kernel_w, a.stride_w, a.pad_w, a.dilation_w, false);
  ET_REQUIRE(oh > 0 && ow > 0, "Conv2d: a {}x{} kernel does not fit input {} with padding {}x{}", a.kernel_h,
             a.kernel_w, x.str(), a.pad_h, a.pad_w);
  return Shape{x[0], a.out_channels, oh, ow};
}

std::vector<ParamSpec> params(const Conv2dAttrs& a) {
  int64_t fan_in = a.in_channels / a.groups * a.kernel_h * a.kernel_w;
  std::vector<ParamSpec> p{{"weight", Shape{a.out_channels, a.in_channels / a.groups, a.kernel_h, a.kernel_w},
                            ParamInit::kaiming_uniform, fan_in, false}};
  if (a.bias) p.push_back({"bias", Shape{a.out_channels}, ParamInit::fan_in_uniform, fan_in, true});
  return p;
}

BackwardReads reads(const Conv2dAttrs&, Pass pass) {
  // dX needs only W and dY; dW needs X.
  return {.src = pass == Pass::bwd_weights};
}

int64_t macs(const Conv2dAttrs& a, std::span<const Shape>, const Shape& dst) {
  return dst.numel() * (a.in_channels / a.groups) * a.kernel_h * a.kernel_w;
}

std::string problem(const Conv2dAttrs& a, std::span<const Shape> src, const Shape& dst) {
  return fmt::format("mb{}_g{}ic{}oc{}_ih{}iw{}_oh{}ow{}_kh{}kw{}_sh{}sw{}_ph{}pw{}_dh{}dw{}", dst[0], a.groups,
                     a.in_channels, a.out_channels, src[0][2], src[0][3], dst[2], dst[3], a.kernel_h, a.kernel_w,
                     a.stride_h, a.stride_w, a.pad_h, a.pad_w, a.dilation_h, a.dilation_w);
}

}  // namespace edgetrain::op_def
