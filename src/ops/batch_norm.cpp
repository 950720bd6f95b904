// BatchNorm2d: src [N, C, H, W] -> dst, per-channel scale (weight) and shift (bias); running stats as state.
// Training forward saves the batch mean and 1/sqrt(var + eps) [C] for backward.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const BatchNormAttrs& a, std::span<const Shape> src) {
  expect_inputs("BatchNorm2d", src, 1, -1);
  ET_REQUIRE(src[0].rank() >= 2 && src[0][1] == a.channels, "BatchNorm2d: expects {} channels, input is {}",
             a.channels, src[0].str());
  return src[0];
}

std::vector<ParamSpec> params(const BatchNormAttrs& a) {
  return {{"weight", Shape{a.channels}, ParamInit::ones, 1, false},
          {"bias", Shape{a.channels}, ParamInit::zeros, 1, true}};
}

std::vector<StateSpec> states(const BatchNormAttrs& a) {
  return {{"running_mean", Shape{a.channels}, 0.f}, {"running_var", Shape{a.channels}, 1.f}};
}

std::vector<AuxSpec> aux(const BatchNormAttrs& a, std::span<const Shape>, const Shape&, bool) {
  return {{"mean", Shape{a.channels}, DType::f32}, {"inv_std", Shape{a.channels}, DType::f32}};
}

BackwardReads reads(const BatchNormAttrs&, Pass) { return {.src = true, .aux = true}; }

}  // namespace edgetrain::op_def
