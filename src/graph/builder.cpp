#include "graph/builder.hpp"

#include "core/check.hpp"

namespace edgetrain {

GraphBuilder::GraphBuilder(Shape input_chw) {
  ET_REQUIRE(input_chw.rank() == 3, "model input must be {{C, H, W}}, got {}", input_chw.str());
  graph_.values.push_back({"input", Shape{1, input_chw[0], input_chw[1], input_chw[2]}, DType::f32, -1});
  graph_.input = 0;
}

int GraphBuilder::node(const std::string& name, Attrs attrs, const std::vector<int>& srcs) {
  ET_REQUIRE(graph_.find_node(name) < 0, "duplicate node name '{}'", name);
  std::vector<Shape> in;
  for (int v : srcs) in.push_back(graph_.values[v].shape);
  Shape out;
  try {
    out = infer_shape(attrs, in);
  } catch (const Error& e) {
    fail("node '{}': {}", name, e.what());
  }
  int id = static_cast<int>(graph_.nodes.size());
  int value = static_cast<int>(graph_.values.size());
  graph_.values.push_back({name, out, DType::f32, id});
  Node n{name, attrs, srcs, value, {}, {}};
  auto ps = param_specs(attrs);
  for (size_t i = 0; i < ps.size(); ++i) {
    n.params.push_back(static_cast<int>(graph_.params.size()));
    graph_.params.push_back({name + "." + ps[i].suffix, ps[i].shape, id, static_cast<int>(i)});
  }
  auto ss = state_specs(attrs);
  for (size_t i = 0; i < ss.size(); ++i) {
    n.states.push_back(static_cast<int>(graph_.states.size()));
    graph_.states.push_back({name + "." + ss[i].suffix, ss[i].shape, id, static_cast<int>(i)});
  }
  graph_.nodes.push_back(std::move(n));
  return value;
}

int GraphBuilder::conv(const std::string& name, int src, const Conv2dAttrs& a) { return node(name, a, {src}); }

int GraphBuilder::conv(const std::string& name, int src, int64_t out_channels, int kernel, int stride, int pad,
                       int groups, bool bias, int dilation) {
  Conv2dAttrs a;
  a.in_channels = channels(src);
  a.out_channels = out_channels;
  a.kernel_h = a.kernel_w = kernel;
  a.stride_h = a.stride_w = stride;
  a.pad_h = a.pad_w = pad;
  a.dilation_h = a.dilation_w = dilation;
  a.groups = groups;
  a.bias = bias;
  return node(name, a, {src});
}

int GraphBuilder::batch_norm(const std::string& name, int src, double eps, double momentum) {
  // At the precision ONNX stores them (float epsilon, float running share 1 - momentum), so that a
  // model's export re-imports to the same arithmetic: an epsilon of 1e-3 in double and in float differ
  // by 5e-11, which moves outputs by an ulp where a channel's variance is below epsilon.
  const double onnx_eps = static_cast<float>(eps), onnx_momentum = 1.0 - static_cast<float>(1.0 - momentum);
  return node(name, BatchNormAttrs{channels(src), onnx_eps, onnx_momentum}, {src});
}
int GraphBuilder::relu(const std::string& name, int src) { return node(name, ReluAttrs{}, {src}); }
int GraphBuilder::relu6(const std::string& name, int src) { return node(name, Relu6Attrs{}, {src}); }
int GraphBuilder::pointwise(const std::string& name, int src, const PointwiseAttrs& attrs) {
  return node(name, attrs, {src});
}

int GraphBuilder::max_pool(const std::string& name, int src, int kernel, int stride, int pad, bool ceil_mode) {
  return node(name, MaxPoolAttrs{kernel, kernel, stride, stride, pad, pad, ceil_mode}, {src});
}
int GraphBuilder::avg_pool(const std::string& name, int src, int kernel, int stride, int pad, bool ceil_mode,
                           bool count_include_pad) {
  return node(name, AvgPoolAttrs{kernel, kernel, stride, stride, pad, pad, ceil_mode, count_include_pad}, {src});
}
int GraphBuilder::global_avg_pool(const std::string& name, int src) { return node(name, GlobalAvgPoolAttrs{}, {src}); }
int GraphBuilder::linear(const std::string& name, int src, int64_t out_features, bool bias) {
  return node(name, LinearAttrs{shape(src)[1], out_features, bias}, {src});
}
int GraphBuilder::add(const std::string& name, int a, int b) { return node(name, AddAttrs{}, {a, b}); }
int GraphBuilder::mul(const std::string& name, int a, int b) { return node(name, MulAttrs{}, {a, b}); }
int GraphBuilder::channel_slice(const std::string& name, int src, int64_t begin, int64_t end) {
  return node(name, ChannelSliceAttrs{begin, end}, {src});
}
int GraphBuilder::channel_shuffle(const std::string& name, int src, int groups) {
  return node(name, ChannelShuffleAttrs{groups}, {src});
}
int GraphBuilder::concat(const std::string& name, const std::vector<int>& srcs) {
  return node(name, ConcatAttrs{}, srcs);
}
int GraphBuilder::flatten(const std::string& name, int src) { return node(name, FlattenAttrs{}, {src}); }
int GraphBuilder::dropout(const std::string& name, int src, double p) { return node(name, DropoutAttrs{p}, {src}); }

Graph GraphBuilder::finish(int logits) {
  ET_REQUIRE(shape(logits).rank() == 2, "the classifier output must be [N, K], got {}", shape(logits).str());
  graph_.logits = logits;
  graph_.labels = static_cast<int>(graph_.values.size());
  graph_.values.push_back({"labels", Shape{1}, DType::i32, -1});
  graph_.loss = node("loss", SoftmaxCrossEntropyAttrs{}, {logits, graph_.labels});
  return std::move(graph_);
}

}  // namespace edgetrain
