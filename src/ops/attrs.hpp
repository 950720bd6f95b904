// Typed attributes of every op. The variant alternative *is* the op kind: no integer blobs. Each
// struct carries what the rest of the system needs to name and store it, so a new op is declared in
// one place:
//   kName     the op's name (logs, plans, checkpoints' JSON, the predictor)
//   fields()  its attributes as (JSON name, member) pairs: how checkpoints store it (graph_json.cpp
//             reads and writes them generically; a missing field keeps its default)
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <tuple>
#include <variant>

namespace edgetrain {

// One stored attribute: its name in JSON and the member holding it.
template <class Struct, class Member>
struct AttrField {
  std::string_view name;
  Member Struct::*member;
};

struct Conv2dAttrs {
  static constexpr std::string_view kName = "Conv2d";
  int64_t in_channels = 0, out_channels = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
  bool bias = false;
  static constexpr auto fields() {
    using A = Conv2dAttrs;
    return std::tuple{AttrField{"in_channels", &A::in_channels},
                      AttrField{"out_channels", &A::out_channels},
                      AttrField{"kernel_h", &A::kernel_h},
                      AttrField{"kernel_w", &A::kernel_w},
                      AttrField{"stride_h", &A::stride_h},
                      AttrField{"stride_w", &A::stride_w},
                      AttrField{"pad_h", &A::pad_h},
                      AttrField{"pad_w", &A::pad_w},
                      AttrField{"dilation_h", &A::dilation_h},
                      AttrField{"dilation_w", &A::dilation_w},
                      AttrField{"groups", &A::groups},
                      AttrField{"bias", &A::bias}};
  }
  bool operator==(const Conv2dAttrs&) const = default;
};

// One filter per channel (groups == in_channels == out_channels).
inline bool is_depthwise(const Conv2dAttrs& a) {
  return a.groups > 1 && a.groups == a.in_channels && a.groups == a.out_channels;
}

struct BatchNormAttrs {
  static constexpr std::string_view kName = "BatchNorm2d";
  int64_t channels = 0;
  double eps = 1e-5;
  double momentum = 0.1;  // running = (1 - momentum) * running + momentum * batch (PyTorch convention)
  static constexpr auto fields() {
    using A = BatchNormAttrs;
    return std::tuple{AttrField{"channels", &A::channels}, AttrField{"eps", &A::eps},
                      AttrField{"momentum", &A::momentum}};
  }
  bool operator==(const BatchNormAttrs&) const = default;
};

struct ReluAttrs {
  static constexpr std::string_view kName = "ReLU";
  bool operator==(const ReluAttrs&) const = default;
};
struct Relu6Attrs {
  static constexpr std::string_view kName = "ReLU6";
  bool operator==(const Relu6Attrs&) const = default;
};

struct MaxPoolAttrs {
  static constexpr std::string_view kName = "MaxPool2d";
  int kernel_h = 2, kernel_w = 2, stride_h = 2, stride_w = 2, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
  static constexpr auto fields() {
    using A = MaxPoolAttrs;
    return std::tuple{AttrField{"kernel_h", &A::kernel_h},  AttrField{"kernel_w", &A::kernel_w},
                      AttrField{"stride_h", &A::stride_h},  AttrField{"stride_w", &A::stride_w},
                      AttrField{"pad_h", &A::pad_h},        AttrField{"pad_w", &A::pad_w},
                      AttrField{"ceil_mode", &A::ceil_mode}};
  }
  bool operator==(const MaxPoolAttrs&) const = default;
};

struct AvgPoolAttrs {
  static constexpr std::string_view kName = "AvgPool2d";
  int kernel_h = 2, kernel_w = 2, stride_h = 2, stride_w = 2, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  static constexpr auto fields() {
    using A = AvgPoolAttrs;
    return std::tuple{AttrField{"kernel_h", &A::kernel_h},   AttrField{"kernel_w", &A::kernel_w},
                      AttrField{"stride_h", &A::stride_h},   AttrField{"stride_w", &A::stride_w},
                      AttrField{"pad_h", &A::pad_h},         AttrField{"pad_w", &A::pad_w},
                      AttrField{"ceil_mode", &A::ceil_mode}, AttrField{"count_include_pad", &A::count_include_pad}};
  }
  bool operator==(const AvgPoolAttrs&) const = default;
};

struct GlobalAvgPoolAttrs {
  static constexpr std::string_view kName = "GlobalAvgPool";
  bool operator==(const GlobalAvgPoolAttrs&) const = default;
};

struct LinearAttrs {
  static constexpr std::string_view kName = "Linear";
  int64_t in_features = 0, out_features = 0;
  bool bias = true;
  static constexpr auto fields() {
    using A = LinearAttrs;
    return std::tuple{AttrField{"in_features", &A::in_features}, AttrField{"out_features", &A::out_features},
                      AttrField{"bias", &A::bias}};
  }
  bool operator==(const LinearAttrs&) const = default;
};

struct AddAttrs {
  static constexpr std::string_view kName = "Add";
  bool operator==(const AddAttrs&) const = default;
};
struct ConcatAttrs {  // along channels (axis 1)
  static constexpr std::string_view kName = "Concat";
  bool operator==(const ConcatAttrs&) const = default;
};
struct FlattenAttrs {  // [N, ...] -> [N, prod(...)]
  static constexpr std::string_view kName = "Flatten";
  bool operator==(const FlattenAttrs&) const = default;
};
// Zeroes each element with probability p while training (and scales the rest by 1 / (1 - p));
// per_sample: each image's whole tensor at once (stochastic depth, EfficientNet's "row" mode).
struct DropoutAttrs {
  static constexpr std::string_view kName = "Dropout";
  double p = 0.5;
  bool per_sample = false;
  static constexpr auto fields() {
    return std::tuple{AttrField{"p", &DropoutAttrs::p}, AttrField{"per_sample", &DropoutAttrs::per_sample}};
  }
  bool operator==(const DropoutAttrs&) const = default;
};
struct SoftmaxCrossEntropyAttrs {  // (logits [N, K], labels [N] i32) -> mean loss [1]
  static constexpr std::string_view kName = "SoftmaxCrossEntropy";
  bool operator==(const SoftmaxCrossEntropyAttrs&) const = default;
};

// Elementwise functions of one input without parameters, as ONNX / PyTorch define them:
//   leaky_relu    y = x >= 0 ? x : alpha * x
//   sigmoid       y = 1 / (1 + exp(-x))
//   hard_sigmoid  y = clamp(alpha * x + beta, 0, 1)      (PyTorch Hardsigmoid: alpha 1/6, beta 1/2)
//   hard_swish    y = x * clamp(alpha * x + beta, 0, 1)  (PyTorch Hardswish:   alpha 1/6, beta 1/2)
//   scale         y = alpha * x                          (ONNX Mul by a scalar constant)
//   silu          y = x * sigmoid(x)                     (PyTorch SiLU, Swish; EfficientNet's activation)
// A new function goes before `last`, which then names it, with its names in kPointwiseFnNames.
enum class PointwiseFn { leaky_relu, sigmoid, hard_sigmoid, hard_swish, scale, silu, last = silu };

// Per function, in enumerator order: its display name and its name in checkpoints' JSON.
struct PointwiseFnNames {
  std::string_view display, json;
};
inline constexpr PointwiseFnNames kPointwiseFnNames[] = {
    {"LeakyReLU", "leaky_relu"}, {"Sigmoid", "sigmoid"}, {"HardSigmoid", "hard_sigmoid"},
    {"HardSwish", "hard_swish"}, {"Scale", "scale"},     {"SiLU", "silu"}};
static_assert(std::size(kPointwiseFnNames) == static_cast<std::size_t>(PointwiseFn::last) + 1,
              "every PointwiseFn has its names");

struct PointwiseAttrs {
  static constexpr std::string_view kName = "Pointwise";
  PointwiseFn fn = PointwiseFn::sigmoid;
  double alpha = 0.0;
  double beta = 0.0;
  static constexpr auto fields() {
    using A = PointwiseAttrs;
    return std::tuple{AttrField{"fn", &A::fn}, AttrField{"alpha", &A::alpha}, AttrField{"beta", &A::beta}};
  }
  bool operator==(const PointwiseAttrs&) const = default;
};

// (a [N, C, H, W], b [N, C, H, W] or [N, C, 1, 1]) -> a * b, b broadcast over H and W where it is
// [N, C, 1, 1]: the product of two computed tensors (squeeze-and-excitation's channel gating).
struct MulAttrs {
  static constexpr std::string_view kName = "Mul";
  bool operator==(const MulAttrs&) const = default;
};

// dst = src's channels [begin, end) (ShuffleNetV2's channel split: ONNX Slice / Split on axis 1).
struct ChannelSliceAttrs {
  static constexpr std::string_view kName = "ChannelSlice";
  int64_t begin = 0, end = 0;
  static constexpr auto fields() {
    using A = ChannelSliceAttrs;
    return std::tuple{AttrField{"begin", &A::begin}, AttrField{"end", &A::end}};
  }
  bool operator==(const ChannelSliceAttrs&) const = default;
};

// Channel shuffle (ShuffleNet): the C channels as `groups` rows of C / groups, transposed. Output
// channel j * groups + i is input channel i * (C / groups) + j. Exporters write it as Reshape to
// [N, groups, C / groups, H, W], Transpose (0, 2, 1, 3, 4), Reshape back.
struct ChannelShuffleAttrs {
  static constexpr std::string_view kName = "ChannelShuffle";
  int groups = 2;
  static constexpr auto fields() { return std::tuple{AttrField{"groups", &ChannelShuffleAttrs::groups}}; }
  bool operator==(const ChannelShuffleAttrs&) const = default;
};

using Attrs = std::variant<Conv2dAttrs, BatchNormAttrs, ReluAttrs, Relu6Attrs, MaxPoolAttrs, AvgPoolAttrs,
                           GlobalAvgPoolAttrs, LinearAttrs, AddAttrs, ConcatAttrs, FlattenAttrs, DropoutAttrs,
                           SoftmaxCrossEntropyAttrs, PointwiseAttrs, MulAttrs, ChannelSliceAttrs, ChannelShuffleAttrs>;

inline std::string_view op_name(const Attrs& attrs) {
  return std::visit([](const auto& a) { return std::decay_t<decltype(a)>::kName; }, attrs);
}

template <class A>
bool is(const Attrs& attrs) {
  return std::holds_alternative<A>(attrs);
}

}  // namespace edgetrain
