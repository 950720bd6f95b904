// Typed attributes of every op. The variant alternative *is* the op kind: no integer blobs.
#pragma once
#include <cstdint>
#include <string_view>
#include <variant>

namespace edgetrain {

struct Conv2dAttrs {
  int64_t in_channels = 0, out_channels = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
  bool bias = false;
  bool operator==(const Conv2dAttrs&) const = default;
};

// One filter per channel (groups == in_channels == out_channels).
inline bool is_depthwise(const Conv2dAttrs& a) {
  return a.groups > 1 && a.groups == a.in_channels && a.groups == a.out_channels;
}

struct BatchNormAttrs {
  int64_t channels = 0;
  double eps = 1e-5;
  double momentum = 0.1;  // running = (1 - momentum) * running + momentum * batch (PyTorch convention)
  bool operator==(const BatchNormAttrs&) const = default;
};

struct ReluAttrs {
  bool operator==(const ReluAttrs&) const = default;
};
struct Relu6Attrs {
  bool operator==(const Relu6Attrs&) const = default;
};

struct MaxPoolAttrs {
  int kernel_h = 2, kernel_w = 2, stride_h = 2, stride_w = 2, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
  bool operator==(const MaxPoolAttrs&) const = default;
};

struct AvgPoolAttrs {
  int kernel_h = 2, kernel_w = 2, stride_h = 2, stride_w = 2, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  bool operator==(const AvgPoolAttrs&) const = default;
};

struct GlobalAvgPoolAttrs {
  bool operator==(const GlobalAvgPoolAttrs&) const = default;
};

struct LinearAttrs {
  int64_t in_features = 0, out_features = 0;
  bool bias = true;
  bool operator==(const LinearAttrs&) const = default;
};

struct AddAttrs {
  bool operator==(const AddAttrs&) const = default;
};
struct ConcatAttrs {
  bool operator==(const ConcatAttrs&) const = default;
};  // along channels (axis 1)
struct FlattenAttrs {
  bool operator==(const FlattenAttrs&) const = default;
};  // [N, ...] -> [N, prod(...)]
struct DropoutAttrs {
  double p = 0.5;
  bool operator==(const DropoutAttrs&) const = default;
};
struct SoftmaxCrossEntropyAttrs {
  bool operator==(const SoftmaxCrossEntropyAttrs&) const = default;
};  // (logits [N, K], labels [N] i32) -> mean loss [1]

// Elementwise functions of one input without parameters, as ONNX / PyTorch define them:
//   leaky_relu    y = x >= 0 ? x : alpha * x
//   sigmoid       y = 1 / (1 + exp(-x))
//   hard_sigmoid  y = clamp(alpha * x + beta, 0, 1)      (PyTorch Hardsigmoid: alpha 1/6, beta 1/2)
//   hard_swish    y = x * clamp(alpha * x + beta, 0, 1)  (PyTorch Hardswish:   alpha 1/6, beta 1/2)
//   scale         y = alpha * x                          (ONNX Mul by a scalar constant)
//   silu          y = x * sigmoid(x)                     (PyTorch SiLU, Swish; EfficientNet's activation)
enum class PointwiseFn { leaky_relu, sigmoid, hard_sigmoid, hard_swish, scale, silu };
struct PointwiseAttrs {
  PointwiseFn fn = PointwiseFn::sigmoid;
  double alpha = 0.0;
  double beta = 0.0;
  bool operator==(const PointwiseAttrs&) const = default;
};

// (a [N, C, H, W], b [N, C, H, W] or [N, C, 1, 1]) -> a * b, b broadcast over H and W where it is
// [N, C, 1, 1]: the product of two computed tensors (squeeze-and-excitation's channel gating).
struct MulAttrs {
  bool operator==(const MulAttrs&) const = default;
};

using Attrs = std::variant<Conv2dAttrs, BatchNormAttrs, ReluAttrs, Relu6Attrs, MaxPoolAttrs, AvgPoolAttrs,
                           GlobalAvgPoolAttrs, LinearAttrs, AddAttrs, ConcatAttrs, FlattenAttrs, DropoutAttrs,
                           SoftmaxCrossEntropyAttrs, PointwiseAttrs, MulAttrs>;

std::string_view op_name(const Attrs& attrs);

template <class A>
bool is(const Attrs& attrs) {
  return std::holds_alternative<A>(attrs);
}

}  // namespace edgetrain
