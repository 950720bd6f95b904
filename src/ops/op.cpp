#include "ops/op.hpp"

#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain {

std::string_view pass_name(Pass p) {
  switch (p) {
    case Pass::fwd: return "fwd";
    case Pass::bwd_data: return "bwd_data";
    case Pass::bwd_weights: return "bwd_weights";
  }
  return "?";
}

std::string_view op_name(const Attrs& attrs) {
  static constexpr std::string_view names[] = {
      "Conv2d", "BatchNorm2d", "ReLU",   "ReLU6",   "MaxPool2d", "AvgPool2d",           "GlobalAvgPool",
      "Linear", "Add",         "Concat", "Flatten", "Dropout",   "SoftmaxCrossEntropy", "Pointwise",
      "Mul"};
  static_assert(std::size(names) == std::variant_size_v<Attrs>);
  return names[attrs.index()];
}

std::string_view pointwise_name(PointwiseFn fn) {
  switch (fn) {
    case PointwiseFn::leaky_relu: return "LeakyReLU";
    case PointwiseFn::sigmoid: return "Sigmoid";
    case PointwiseFn::hard_sigmoid: return "HardSigmoid";
    case PointwiseFn::hard_swish: return "HardSwish";
    case PointwiseFn::scale: return "Scale";
    case PointwiseFn::silu: return "SiLU";
  }
  return "?";
}

bool backward_in_place(const Attrs& attrs) {
  return is<ReluAttrs>(attrs) || is<Relu6Attrs>(attrs) || is<DropoutAttrs>(attrs) || is<PointwiseAttrs>(attrs);
}

bool fuses_weight_grads(const Attrs& attrs) { return is<BatchNormAttrs>(attrs); }

TrainingBehaviour training_behaviour(const Attrs& attrs) {
  if (is<BatchNormAttrs>(attrs)) return TrainingBehaviour::batch_statistics;
  if (is<MaxPoolAttrs>(attrs)) return TrainingBehaviour::saves_for_backward;
  if (is<DropoutAttrs>(attrs)) return TrainingBehaviour::stochastic;
  return TrainingBehaviour::same;
}

bool is_view(const Attrs& attrs) { return is<FlattenAttrs>(attrs); }

Activation fusable_activation(const Attrs& attrs) {
  if (is<ReluAttrs>(attrs)) return Activation::relu;
  if (is<Relu6Attrs>(attrs)) return Activation::relu6;
  return Activation::none;
}

bool takes_fused_activation(const Attrs& attrs) { return is<Conv2dAttrs>(attrs) || is<BatchNormAttrs>(attrs); }

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::none: return "";
    case Activation::relu: return "ReLU";
    case Activation::relu6: return "ReLU6";
  }
  return "?";
}

bool forward_in_place(const Attrs& attrs) {
  if (const auto* pw = std::get_if<PointwiseAttrs>(&attrs))  // only where backward does not read src
    return pw->fn == PointwiseFn::sigmoid || pw->fn == PointwiseFn::scale;
  return backward_in_place(attrs) || is<BatchNormAttrs>(attrs) || is<AddAttrs>(attrs);
}

Shape infer_shape(const Attrs& attrs, std::span<const Shape> src) {
  return std::visit([&](const auto& a) { return op_def::infer(a, src); }, attrs);
}
std::vector<ParamSpec> param_specs(const Attrs& attrs) {
  return std::visit([](const auto& a) { return op_def::params(a); }, attrs);
}
std::vector<StateSpec> state_specs(const Attrs& attrs) {
  return std::visit([](const auto& a) { return op_def::states(a); }, attrs);
}
std::vector<AuxSpec> aux_specs(const Attrs& attrs, std::span<const Shape> src, const Shape& dst, bool training) {
  return std::visit([&](const auto& a) { return op_def::aux(a, src, dst, training); }, attrs);
}
BackwardReads backward_reads(const Attrs& attrs, Pass pass) {
  return std::visit([&](const auto& a) { return op_def::reads(a, pass); }, attrs);
}
int64_t forward_macs(const Attrs& attrs, std::span<const Shape> src, const Shape& dst) {
  return std::visit([&](const auto& a) { return op_def::macs(a, src, dst); }, attrs);
}
std::string problem_string(const Attrs& attrs, std::span<const Shape> src, const Shape& dst) {
  return std::visit([&](const auto& a) { return op_def::problem(a, src, dst); }, attrs);
}

namespace op_def {

void expect_inputs(std::string_view op, std::span<const Shape> src, size_t count, int rank) {
  ET_REQUIRE(src.size() == count, "{}: expects {} input(s), got {}", op, count, src.size());
  for (const Shape& s : src)
    ET_REQUIRE(rank < 0 || s.rank() == rank, "{}: expects rank-{} input, got {}", op, rank, s.str());
}

void expect_pool_geometry(std::string_view op, int kh, int kw, int sh, int sw, int ph, int pw) {
  ET_REQUIRE(kh > 0 && kw > 0 && sh > 0 && sw > 0 && ph >= 0 && pw >= 0,
             "{}: kernel {}x{} and stride {}x{} must be positive, padding {}x{} non-negative", op, kh, kw, sh, sw, ph,
             pw);
  ET_REQUIRE(ph * 2 <= kh && pw * 2 <= kw, "{}: padding must be at most half the kernel (kernel {}x{}, padding {}x{})",
             op, kh, kw, ph, pw);
}

int64_t pooled_size(int64_t in, int kernel, int stride, int pad, int dilation, bool ceil_mode) {
  int64_t span = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  int64_t num = in + 2 * pad - span;
  if (num < 0) return 0;
  int64_t out = (ceil_mode ? (num + stride - 1) / stride : num / stride) + 1;
  // PyTorch rule: the last window must start inside the input or left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

}  // namespace op_def
}  // namespace edgetrain
