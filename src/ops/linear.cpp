// Linear: src [N, IN], weight [OUT, IN], bias [OUT] -> dst [N, OUT] = src * weight^T + bias.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const LinearAttrs& a, std::span<const Shape> src) {
  expect_inputs("Linear", src, 1, 2);
  ET_REQUIRE(src[0][1] == a.in_features, "Linear: input has {} features but the layer expects {} (input {})",
             src[0][1], a.in_features, src[0].str());
  return Shape{src[0][0], a.out_features};
}

std::vector<ParamSpec> params(const LinearAttrs& a) {
  std::vector<ParamSpec> p{
      {"weight", Shape{a.out_features, a.in_features}, ParamInit::kaiming_uniform, a.in_features, false}};
  if (a.bias) p.push_back({"bias", Shape{a.out_features}, ParamInit::fan_in_uniform, a.in_features, true});
  return p;
}

BackwardReads reads(const LinearAttrs&, Pass pass) { return {.src = pass == Pass::bwd_weights}; }

int64_t macs(const LinearAttrs& a, std::span<const Shape>, const Shape& dst) { return dst[0] * a.in_features * a.out_features; }

}  // namespace edgetrain::op_def
