// ONNX operators -> graph ops: one Importer handler per operator (see onnx_importer.hpp).
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/check.hpp"
#include "io/onnx/onnx_attrs.hpp"
#include "io/onnx/onnx_importer.hpp"
#include "io/onnx/onnx_tensor.hpp"

namespace edgetrain::io::onnx_detail {

// --- layers -------------------------------------------------------------------------------------

void Importer::conv(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  const Constant& w = require_constant(n, 1, "weight");
  const Shape& in = shape_of(x);
  ET_REQUIRE(w.dims.size() == 4 && in.rank() == 4, "{}: only 2-D convolutions are supported", where(n));
  Conv2dAttrs a;
  a.in_channels = in[1];
  a.out_channels = w.dims[0];
  a.groups = static_cast<int>(attr_int(n, "group", 1));
  ET_REQUIRE(w.dims[1] * a.groups == in[1], "{}: weight {} with {} groups does not fit {} input channels", where(n),
             Shape(w.dims).str(), a.groups, in[1]);
  a.kernel_h = static_cast<int>(w.dims[2]);
  a.kernel_w = static_cast<int>(w.dims[3]);
  spatial_attrs(n, in, a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w);  // checks dilations too
  const auto dil = attr_ints(n, "dilations", {1, 1});
  a.dilation_h = static_cast<int>(dil[0]);
  a.dilation_w = static_cast<int>(dil[1]);
  NodePayload p;
  const std::string wname = initializer_of_.contains(n.input(1)) ? initializer_of_.at(n.input(1)) : n.input(1);
  p.params.push_back({wname, Shape(w.dims), w.f});
  if (has(n, 2)) {
    const Constant& b = require_constant(n, 2, "bias");
    a.bias = true;
    p.params.push_back(
        {initializer_of_.contains(n.input(2)) ? initializer_of_.at(n.input(2)) : n.input(2), Shape(b.dims), b.f});
  }
  bind(n, emit(n, node_name(n, wname), a, {x}, std::move(p)));
}

void Importer::batch_norm(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  const char* roles[] = {"", "scale", "bias", "mean", "variance"};
  std::vector<SlotData> slots;
  for (int k = 1; k <= 4; ++k) {
    const Constant& c = require_constant(n, k, roles[k]);
    ET_REQUIRE(static_cast<int64_t>(c.f.size()) == shape_of(x)[1], "{}: {} has {} values for {} channels", where(n),
               roles[k], c.f.size(), shape_of(x)[1]);
    slots.push_back({initializer_of_.contains(n.input(k)) ? initializer_of_.at(n.input(k)) : n.input(k),
                     Shape{shape_of(x)[1]}, c.f});
  }
  BatchNormAttrs a;
  a.channels = shape_of(x)[1];
  a.eps = attr_float(n, "epsilon", 1e-5f);
  a.momentum = 1.0 - attr_float(n, "momentum", 0.9f);  // ONNX keeps the running share, PyTorch the batch share
  NodePayload p{{slots[0], slots[1]}, {slots[2], slots[3]}};
  bind(n, emit(n, node_name(n, slots[0].name), a, {x}, std::move(p)));
}

void Importer::relu(const onnx::NodeProto& n) { bind(n, emit(n, node_name(n, ""), ReluAttrs{}, {value(n, 0)}, {})); }

void Importer::clip(const onnx::NodeProto& n) {
  double lo = -INFINITY, hi = INFINITY;
  if (opset_ < 11) {
    lo = attr_float(n, "min", -INFINITY);
    hi = attr_float(n, "max", INFINITY);
  } else {
    if (has(n, 1)) lo = require_constant(n, 1, "min", false).scalar(where(n));
    if (has(n, 2)) hi = require_constant(n, 2, "max", false).scalar(where(n));
  }
  Attrs attrs;
  if (lo == 0 && hi == 6)
    attrs = Relu6Attrs{};
  else if (lo == 0 && std::isinf(hi))
    attrs = ReluAttrs{};
  else
    fail("{}: Clip({}, {}) is not supported; edgetrain imports Clip(0, 6) as ReLU6 and Clip(0, inf) as ReLU", where(n),
         lo, hi);
  bind(n, emit(n, node_name(n, ""), attrs, {value(n, 0)}, {}));
}

void Importer::pointwise(const onnx::NodeProto& n) {
  PointwiseAttrs a;
  const std::string& op = n.op_type();
  if (op == "LeakyRelu")
    a = {PointwiseFn::leaky_relu, attr_float(n, "alpha", 0.01f), 0.0};
  else if (op == "Sigmoid")
    a = {PointwiseFn::sigmoid, 0.0, 0.0};
  else if (op == "HardSigmoid")
    a = {PointwiseFn::hard_sigmoid, attr_float(n, "alpha", 0.2f), attr_float(n, "beta", 0.5f)};
  else
    a = {PointwiseFn::hard_swish, 1.0 / 6.0, 0.5};
  bind(n, emit(n, node_name(n, ""), a, {value(n, 0)}, {}));
}

void Importer::max_pool(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  // The optional indices output is never bound: a live consumer of it fails with "not produced".
  auto k = attr_ints(n, "kernel_shape", {});
  ET_REQUIRE(k.size() == 2, "{}: only 2-D pooling is supported", where(n));
  for (int64_t d : attr_ints(n, "dilations", {1, 1}))
    ET_REQUIRE(d == 1, "{}: dilated pooling is not supported", where(n));
  MaxPoolAttrs a;
  a.kernel_h = static_cast<int>(k[0]);
  a.kernel_w = static_cast<int>(k[1]);
  spatial_attrs(n, shape_of(x), a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w);
  a.ceil_mode = attr_int(n, "ceil_mode", 0) != 0;
  bind(n, emit(n, node_name(n, ""), a, {x}, {}));
}

void Importer::average_pool(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  auto k = attr_ints(n, "kernel_shape", {});
  ET_REQUIRE(k.size() == 2, "{}: only 2-D pooling is supported", where(n));
  AvgPoolAttrs a;
  a.kernel_h = static_cast<int>(k[0]);
  a.kernel_w = static_cast<int>(k[1]);
  spatial_attrs(n, shape_of(x), a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_h, a.pad_w);
  a.ceil_mode = attr_int(n, "ceil_mode", 0) != 0;
  a.count_include_pad = attr_int(n, "count_include_pad", 0) != 0 || padded_.contains(n.input(0));
  ET_REQUIRE(!padded_.contains(n.input(0)) ||
                 (a.pad_h == padded_.at(n.input(0)).first && a.pad_w == padded_.at(n.input(0)).second),
             "{}: AveragePool with its own padding after a Pad is not supported", where(n));
  // A window covering the whole map is a global pool (what PyTorch emits for adaptive pooling to 1x1).
  const Shape& in = shape_of(x);
  if (a.kernel_h == 1 && a.kernel_w == 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0) {
    bind(n, x);  // adaptive pooling to the input's own size: an identity
    return;
  }
  if (a.kernel_h == in[2] && a.kernel_w == in[3] && a.pad_h == 0 && a.pad_w == 0) {
    bind(n, emit(n, node_name(n, ""), GlobalAvgPoolAttrs{}, {x}, {}));
    return;
  }
  bind(n, emit(n, node_name(n, ""), a, {x}, {}));
}

void Importer::global_average_pool(const onnx::NodeProto& n) {
  bind(n, emit(n, node_name(n, ""), GlobalAvgPoolAttrs{}, {value(n, 0)}, {}));
}

// ReduceMean over the spatial axes is global average pooling: [N, C, 1, 1] with keepdims (the
// default), followed by a flatten to [N, C] without (MNASNet's x.mean([2, 3])).
void Importer::reduce_mean(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  const int64_t rank = shape_of(x).rank();
  std::vector<int64_t> axes =
      has(n, 1) ? require_constant(n, 1, "axes", false).ints(where(n)) : attr_ints(n, "axes", {});
  for (int64_t& a : axes) a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  ET_REQUIRE(rank == 4 && axes == (std::vector<int64_t>{2, 3}),
             "{}: ReduceMean over axes [{}] of a rank-{} tensor is not supported; edgetrain imports ReduceMean over "
             "the spatial axes [2, 3] of an [N, C, H, W] tensor (global average pooling)",
             where(n), fmt::join(axes, ", "), rank);
  const std::string name = node_name(n, "");
  const int pooled = emit(n, name, GlobalAvgPoolAttrs{}, {x}, {});
  if (attr_int(n, "keepdims", 1) != 0) return bind(n, pooled);
  bind(n, emit(n, name + "/flatten", FlattenAttrs{}, {pooled}, {}));
}

void Importer::gemm(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  ET_REQUIRE(shape_of(x).rank() == 2, "{}: input has shape {}; Gemm needs [N, K]", where(n), shape_of(x).str());
  ET_REQUIRE(attr_int(n, "transA", 0) == 0, "{}: Gemm with transA=1 is not supported", where(n));
  const Constant& b = require_constant(n, 1, "weight");
  ET_REQUIRE(b.dims.size() == 2, "{}: weight must be a matrix", where(n));
  const bool trans_b = attr_int(n, "transB", 0) != 0;
  const float alpha = attr_float(n, "alpha", 1.f), beta = attr_float(n, "beta", 1.f);
  const int64_t in = trans_b ? b.dims[1] : b.dims[0], out = trans_b ? b.dims[0] : b.dims[1];
  ET_REQUIRE(in == shape_of(x)[1], "{}: weight {} does not fit {} input features", where(n), Shape(b.dims).str(),
             shape_of(x)[1]);
  std::vector<float> w(static_cast<size_t>(in * out));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      w[static_cast<size_t>(o * in + i)] = alpha * b.f[static_cast<size_t>(trans_b ? o * in + i : i * out + o)];
  const std::string wname = initializer_of_.contains(n.input(1)) ? initializer_of_.at(n.input(1)) : n.input(1);
  NodePayload p;
  p.params.push_back({wname, Shape{out, in}, std::move(w)});
  LinearAttrs a{in, out, has(n, 2)};
  if (a.bias) {
    const Constant& c = require_constant(n, 2, "bias");
    std::vector<float> bias(static_cast<size_t>(out));
    ET_REQUIRE(c.numel() == out || c.numel() == 1, "{}: bias {} does not broadcast to {} outputs", where(n),
               Shape(c.dims).str(), out);
    for (int64_t o = 0; o < out; ++o)
      bias[static_cast<size_t>(o)] = beta * c.f[c.numel() == 1 ? 0 : static_cast<size_t>(o)];
    p.params.push_back({initializer_of_.contains(n.input(2)) ? initializer_of_.at(n.input(2)) : n.input(2), Shape{out},
                        std::move(bias)});
  }
  bind(n, emit(n, node_name(n, wname), a, {x}, std::move(p)));
}

void Importer::matmul(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  ET_REQUIRE(shape_of(x).rank() == 2, "{}: input has shape {}; MatMul is imported as a linear layer on [N, K]",
             where(n), shape_of(x).str());
  const Constant& b = require_constant(n, 1, "weight");
  ET_REQUIRE(b.dims.size() == 2 && b.dims[0] == shape_of(x)[1], "{}: weight {} does not fit {} input features",
             where(n), Shape(b.dims).str(), shape_of(x)[1]);
  const int64_t in = b.dims[0], out = b.dims[1];
  std::vector<float> w(static_cast<size_t>(in * out));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) w[static_cast<size_t>(o * in + i)] = b.f[static_cast<size_t>(i * out + o)];
  const std::string wname = initializer_of_.contains(n.input(1)) ? initializer_of_.at(n.input(1)) : n.input(1);
  NodePayload p;
  p.params.push_back({wname, Shape{out, in}, std::move(w)});
  LinearAttrs a{in, out, false};
  if (auto it = matmul_bias_.find(current_); it != matmul_bias_.end()) {
    const auto& add = proto_.graph().node(it->second);
    const std::string& bname = add.input(0) == n.output(0) ? add.input(1) : add.input(0);
    const Constant* c = constant(bname);
    ET_REQUIRE(c != nullptr && c->is_float && (c->numel() == out || c->numel() == 1),
               "{}: the bias added after MatMul does not broadcast to {} outputs", where(add), out);
    std::vector<float> bias(static_cast<size_t>(out));
    for (int64_t o = 0; o < out; ++o) bias[static_cast<size_t>(o)] = c->f[c->numel() == 1 ? 0 : static_cast<size_t>(o)];
    a.bias = true;
    p.params.push_back(
        {initializer_of_.contains(bname) ? initializer_of_.at(bname) : bname, Shape{out}, std::move(bias)});
  }
  bind(n, emit(n, node_name(n, wname), a, {x}, std::move(p)));
}

void Importer::add(const onnx::NodeProto& n) {
  ET_REQUIRE(values_.contains(n.input(0)) && values_.contains(n.input(1)),
             "{}: adding a constant tensor to a computed one is supported only as the bias of a MatMul", where(n));
  bind(n, emit(n, node_name(n, ""), AddAttrs{}, {value(n, 0), value(n, 1)}, {}));
}

void Importer::mul_div(const onnx::NodeProto& n) {
  if (n.op_type() == "Mul" && values_.contains(n.input(0)) && values_.contains(n.input(1))) {  // two computed tensors
    int a = value(n, 0), b = value(n, 1);
    if (shape_of(a).rank() == 4 && shape_of(a)[2] * shape_of(a)[3] == 1 && shape_of(b).numel() > shape_of(a).numel())
      std::swap(a, b);  // the broadcast [N, C, 1, 1] operand second
    bind(n, emit(n, node_name(n, ""), MulAttrs{}, {a, b}, {}));
    return;
  }
  const bool first_is_value = values_.contains(n.input(0));
  const int x = value(n, first_is_value ? 0 : 1);
  ET_REQUIRE(n.op_type() == "Mul" || first_is_value, "{}: dividing a constant by a tensor is not supported", where(n));
  const Constant& c = require_constant(n, first_is_value ? 1 : 0, "factor", false);
  ET_REQUIRE(c.numel() == 1, "{}: {} by a tensor of {} values; only a scalar constant factor is supported", where(n),
             n.op_type(), c.numel());
  double factor = c.scalar(where(n));
  if (n.op_type() == "Div") {
    ET_REQUIRE(factor != 0, "{}: division by zero", where(n));
    factor = 1.0 / factor;
  }
  bind(n, emit(n, node_name(n, ""), PointwiseAttrs{PointwiseFn::scale, factor, 0.0}, {x}, {}));
}

void Importer::concat(const onnx::NodeProto& n) {
  std::vector<int> srcs;
  for (int k = 0; k < n.input_size(); ++k) srcs.push_back(value(n, k));
  const int64_t rank = shape_of(srcs[0]).rank();
  int64_t axis = attr_int(n, "axis", 1);
  if (axis < 0) axis += rank;
  ET_REQUIRE(axis == 1, "{}: concatenation along axis {} is not supported (only channels, axis 1)", where(n), axis);
  bind(n, emit(n, node_name(n, ""), ConcatAttrs{}, srcs, {}));
}

void Importer::flatten(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  const int64_t rank = shape_of(x).rank();
  int64_t axis = attr_int(n, "axis", 1);
  if (axis < 0) axis += rank;
  ET_REQUIRE(axis == 1, "{}: Flatten with axis {} is not supported (only axis 1: [N, ...] -> [N, features])", where(n),
             axis);
  if (rank == 2) return bind(n, x);
  bind(n, emit(n, node_name(n, ""), FlattenAttrs{}, {x}, {}));
}

// A Reshape's target shape, with the export's literal batch size in the first place replaced by the
// graph's batch.
std::vector<int64_t> Importer::reshape_shape(const onnx::NodeProto& n, int64_t batch) const {
  std::vector<int64_t> shape = require_constant(n, 1, "shape", false).ints(where(n));
  if (!shape.empty() && export_batch_ > 0 && shape[0] == export_batch_) shape[0] = batch;
  return shape;
}

// Reshape, Squeeze and Unsqueeze of a computed tensor: the identity, a flatten to [N, features], or
// a step of the channel shuffle pattern (shuffle_reshape).
void Importer::reshape_like(const onnx::NodeProto& n) {
  if (n.op_type() == "Reshape" && grouped_views_.contains(n.input(0))) {
    const std::vector<int64_t>& in = shape_of(grouped_views_.at(n.input(0)).value).dims();
    const std::vector<int64_t> shape = reshape_shape(n, in[0]);
    // The view's own 5-D shape is what 0 and -1 refer to.
    const GroupedView& v = grouped_views_.at(n.input(0));
    std::vector<int64_t> view{in[0], v.transposed ? in[1] / v.groups : v.groups,
                              v.transposed ? v.groups : in[1] / v.groups, in[2], in[3]};
    shuffle_reshape(n, reshape_target(view, shape, attr_int(n, "allowzero", 0) != 0, where(n)));
    return;
  }
  const int x = value(n, 0);
  const std::vector<int64_t>& in = shape_of(x).dims();
  std::vector<int64_t> out;
  std::vector<int64_t> axes;
  if (n.op_type() != "Reshape")
    axes = has(n, 1) ? require_constant(n, 1, "axes", false).ints(where(n)) : attr_ints(n, "axes", {});
  if (n.op_type() == "Reshape") {
    out = reshape_target(in, reshape_shape(n, in[0]), attr_int(n, "allowzero", 0) != 0, where(n));
    if (shuffle_reshape(n, out)) return;
  }
  else if (n.op_type() == "Squeeze")
    out = squeeze_dims(in, axes, where(n));
  else
    out = unsqueeze_dims(in, axes, where(n));
  if (out == in) return bind(n, x);
  ET_REQUIRE(
      out.size() == 2 && out[0] == in[0],
      "{}: reshaping {} to {} is not supported; edgetrain imports reshapes that flatten [N, ...] to [N, features]",
      where(n), Shape(in).str(), Shape(out).str());
  bind(n, emit(n, node_name(n, ""), FlattenAttrs{}, {x}, {}));
}

void Importer::dropout(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  double p = 0.5;
  if (opset_ < 12)
    p = attr_float(n, "ratio", 0.5f);
  else if (has(n, 1))
    p = require_constant(n, 1, "ratio", false).scalar(where(n));
  ET_REQUIRE(p >= 0 && p < 1, "{}: dropout ratio {} is outside [0, 1)", where(n), p);
  if (p == 0) return bind(n, x);
  bind(n, emit(n, node_name(n, ""), DropoutAttrs{p}, {x}, {}));
}

void Importer::identity(const onnx::NodeProto& n) { bind(n, value(n, 0)); }

// Constant zero padding of H and W, equal on both sides: the identity, or padding that the consuming
// Conv / AveragePool (counting the zeros, as PyTorch's count_include_pad export does) takes over.
void Importer::pad(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  ET_REQUIRE(attr_string(n, "mode", "constant") == "constant", "{}: only constant (zero) padding is supported",
             where(n));
  const std::vector<int64_t> pads =
      opset_ >= 11 ? require_constant(n, 1, "pads", false).ints(where(n)) : attr_ints(n, "pads", {});
  double fill = opset_ >= 11 ? (has(n, 2) ? require_constant(n, 2, "constant_value", false).scalar(where(n)) : 0.0)
                             : attr_float(n, "value", 0.f);
  const int rank = shape_of(x).rank();
  ET_REQUIRE(static_cast<int>(pads.size()) == 2 * rank && fill == 0.0,
             "{}: padding must be zeros, one begin and "
             "end per dimension",
             where(n));
  bool all_zero = true;
  for (int64_t p : pads) all_zero &= p == 0;
  if (all_zero) return bind(n, x);
  ET_REQUIRE(rank == 4 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0 && pads[2] == pads[6] &&
                 pads[3] == pads[7] && pads[2] >= 0 && pads[3] >= 0,
             "{}: only equal zero padding of H and W is supported, got {}", where(n),
             fmt::format("[{}]", fmt::join(pads, ", ")));
  padded_[n.output(0)] = {static_cast<int>(pads[2]), static_cast<int>(pads[3])};
  bind(n, x);
}

}  // namespace edgetrain::io::onnx_detail
