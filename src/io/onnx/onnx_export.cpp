// Network -> ONNX inference graph: BatchNorm in eval form (or folded into the convolution), Dropout
// dropped, parameters and running statistics as named initializers, metadata for round trips.
#include <onnx/checker.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/check.hpp"
#include "io/atomic_file.hpp"
#include "io/onnx/onnx_model.hpp"
#include "io/onnx/onnx_tensor.hpp"

namespace edgetrain::io {

using namespace onnx_detail;

namespace {

class Exporter {
 public:
  Exporter(const Network& model, const OnnxExportOptions& options) : m_(model), g_(model.graph), o_(options) {}
  onnx::ModelProto run();

 private:
  void node(const Node& n);
  void conv(const Node& n, const Conv2dAttrs& a);
  void pointwise(const Node& n, const PointwiseAttrs& a);
  onnx::NodeProto& add_node(const char* op, const Node& n, std::vector<std::string> inputs, const std::string& output);
  std::string initializer(const std::string& wanted, const Shape& shape, const float* data);
  std::string scalar(const std::string& wanted, float v) { return initializer(wanted, Shape{}, &v); }
  std::string ints(const std::string& wanted, const std::vector<int64_t>& values);
  void channel_shuffle(const Node& n, const ChannelShuffleAttrs& a);
  std::string unique(const std::string& wanted);
  const std::string& in(const Node& n, size_t k) const { return tensor_[n.inputs[k]]; }
  const float* param(const Node& n, size_t k) const { return m_.params.param(n.params[k]).as<float>(); }
  const float* state(const Node& n, size_t k) const { return m_.params.state(n.states[k]).as<float>(); }

  static void attr(onnx::NodeProto& p, const char* name, std::vector<int64_t> v);
  static void attr(onnx::NodeProto& p, const char* name, int64_t v);
  static void attr(onnx::NodeProto& p, const char* name, float v);

  const Network& m_;
  const Graph& g_;
  OnnxExportOptions o_;
  onnx::ModelProto proto_;
  onnx::GraphProto* graph_ = nullptr;
  std::vector<std::string> tensor_;   // value id -> ONNX tensor name
  std::vector<std::string> out_name_; // value id -> the name a producing node gives its output
  std::set<std::string> names_;
  std::unordered_map<int, int> folded_bn_;  // conv node -> the BatchNorm folded into it
  std::set<int> skipped_;                   // nodes that emit nothing
};

void Exporter::attr(onnx::NodeProto& p, const char* name, std::vector<int64_t> v) {
  auto* a = p.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void Exporter::attr(onnx::NodeProto& p, const char* name, int64_t v) {
  auto* a = p.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void Exporter::attr(onnx::NodeProto& p, const char* name, float v) {
  auto* a = p.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

std::string Exporter::unique(const std::string& wanted) {
  std::string name = wanted;
  for (int k = 2; names_.contains(name); ++k) name = wanted + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

std::string Exporter::initializer(const std::string& wanted, const Shape& shape, const float* data) {
  std::string name = unique(wanted);
  encode_tensor(*graph_->add_initializer(), name, shape, data);
  return name;
}

std::string Exporter::ints(const std::string& wanted, const std::vector<int64_t>& values) {
  std::string name = unique(wanted);
  encode_ints(*graph_->add_initializer(), name, values);
  return name;
}

// As PyTorch exports it: Reshape to [N, groups, C / groups, H, W], Transpose (0, 2, 1, 3, 4), Reshape
// back (shape 0 copies the batch size, so any batch runs).
void Exporter::channel_shuffle(const Node& n, const ChannelShuffleAttrs& a) {
  const Shape& s = g_.values[n.inputs[0]].shape;
  std::vector<int64_t> grouped{0, a.groups, s[1] / a.groups}, flat{0, s[1]};
  for (int k = 2; k < s.rank(); ++k) grouped.push_back(s[k]), flat.push_back(s[k]);
  const std::string rows = unique(n.name + "/grouped"), transposed = unique(n.name + "/transposed");
  add_node("Reshape", n, {in(n, 0), ints(n.name + ".grouped_shape", grouped)}, rows).set_name(rows);
  std::vector<int64_t> perm{0, 2, 1};
  for (int k = 2; k < s.rank(); ++k) perm.push_back(k + 1);
  auto& t = add_node("Transpose", n, {rows}, transposed);
  t.set_name(transposed);
  attr(t, "perm", perm);
  add_node("Reshape", n, {transposed, ints(n.name + ".shape", flat)}, out_name_[n.output]);
  tensor_[n.output] = out_name_[n.output];
}

onnx::NodeProto& Exporter::add_node(const char* op, const Node& n, std::vector<std::string> inputs,
                                    const std::string& output) {
  onnx::NodeProto* p = graph_->add_node();
  p->set_op_type(op);
  p->set_name(n.name + (graph_->node_size() > 1 && std::string(op) == "Mul" ? "/mul" : ""));
  for (auto& i : inputs) p->add_input(i);
  p->add_output(output);
  return *p;
}

void Exporter::conv(const Node& n, const Conv2dAttrs& a) {
  const Shape& ws = g_.params[n.params[0]].shape;
  std::vector<float> w(param(n, 0), param(n, 0) + ws.numel());
  std::vector<float> b(static_cast<size_t>(a.out_channels), 0.f);
  if (a.bias) std::copy(param(n, 1), param(n, 1) + a.out_channels, b.begin());
  std::string out = out_name_[n.output];
  if (auto it = folded_bn_.find(g_.values[n.output].producer); it != folded_bn_.end()) {
    const Node& bn = g_.nodes[static_cast<size_t>(it->second)];
    const double eps = std::get<BatchNormAttrs>(bn.attrs).eps;
    const int64_t per = ws.numel() / a.out_channels;
    for (int64_t c = 0; c < a.out_channels; ++c) {
      const double s = param(bn, 0)[c] / std::sqrt(static_cast<double>(state(bn, 1)[c]) + eps);
      for (int64_t k = 0; k < per; ++k) w[static_cast<size_t>(c * per + k)] = static_cast<float>(w[static_cast<size_t>(c * per + k)] * s);
      b[static_cast<size_t>(c)] = static_cast<float>((b[static_cast<size_t>(c)] - state(bn, 0)[c]) * s + param(bn, 1)[c]);
    }
    out = out_name_[bn.output];
    tensor_[bn.output] = out;
  }
  std::vector<std::string> inputs{in(n, 0), initializer(g_.params[n.params[0]].name, ws, w.data())};
  if (a.bias || folded_bn_.contains(g_.values[n.output].producer))
    inputs.push_back(initializer(a.bias ? g_.params[n.params[1]].name : n.name + ".bias", Shape{a.out_channels}, b.data()));
  auto& p = add_node("Conv", n, inputs, out);
  attr(p, "kernel_shape", {a.kernel_h, a.kernel_w});
  attr(p, "strides", {a.stride_h, a.stride_w});
  attr(p, "pads", {a.pad_h, a.pad_w, a.pad_h, a.pad_w});
  attr(p, "dilations", {a.dilation_h, a.dilation_w});
  attr(p, "group", int64_t{a.groups});
  tensor_[n.output] = out;
}

void Exporter::pointwise(const Node& n, const PointwiseAttrs& a) {
  const std::string& out = out_name_[n.output];
  switch (a.fn) {
    case PointwiseFn::leaky_relu: attr(add_node("LeakyRelu", n, {in(n, 0)}, out), "alpha", static_cast<float>(a.alpha)); break;
    case PointwiseFn::sigmoid: add_node("Sigmoid", n, {in(n, 0)}, out); break;
    case PointwiseFn::hard_sigmoid: {
      auto& p = add_node("HardSigmoid", n, {in(n, 0)}, out);
      attr(p, "alpha", static_cast<float>(a.alpha));
      attr(p, "beta", static_cast<float>(a.beta));
      break;
    }
    case PointwiseFn::hard_swish: {
      if (o_.opset >= 14 && std::abs(a.alpha - 1.0 / 6.0) < 1e-9 && a.beta == 0.5) {
        add_node("HardSwish", n, {in(n, 0)}, out);
        break;
      }
      const std::string gate = unique(n.name + "/gate");
      auto& p = add_node("HardSigmoid", n, {in(n, 0)}, gate);
      attr(p, "alpha", static_cast<float>(a.alpha));
      attr(p, "beta", static_cast<float>(a.beta));
      add_node("Mul", n, {in(n, 0), gate}, out);
      break;
    }
    case PointwiseFn::scale: add_node("Mul", n, {in(n, 0), scalar(n.name + ".factor", static_cast<float>(a.alpha))}, out); break;
    case PointwiseFn::silu: {  // as PyTorch exports SiLU: x * Sigmoid(x) (ONNX has no SiLU operator)
      const std::string gate = unique(n.name + "/gate");
      add_node("Sigmoid", n, {in(n, 0)}, gate);
      add_node("Mul", n, {in(n, 0), gate}, out);
      break;
    }
  }
  tensor_[n.output] = out;
}

void Exporter::node(const Node& n) {
  const int id = g_.values[n.output].producer;
  if (skipped_.contains(id)) return;
  const std::string& out = out_name_[n.output];
  std::visit(
      [&]<class A>(const A& a) {
        if constexpr (std::is_same_v<A, Conv2dAttrs>) {
          conv(n, a);
          return;
        } else if constexpr (std::is_same_v<A, BatchNormAttrs>) {
          const Shape c{a.channels};
          auto& p = add_node("BatchNormalization", n,
                             {in(n, 0), initializer(g_.params[n.params[0]].name, c, param(n, 0)),
                              initializer(g_.params[n.params[1]].name, c, param(n, 1)),
                              initializer(g_.states[n.states[0]].name, c, state(n, 0)),
                              initializer(g_.states[n.states[1]].name, c, state(n, 1))},
                             out);
          attr(p, "epsilon", static_cast<float>(a.eps));
          attr(p, "momentum", static_cast<float>(1.0 - a.momentum));
        } else if constexpr (std::is_same_v<A, ReluAttrs>) {
          add_node("Relu", n, {in(n, 0)}, out);
        } else if constexpr (std::is_same_v<A, Relu6Attrs>) {
          if (o_.opset >= 11) {
            add_node("Clip", n, {in(n, 0), scalar("relu6.min", 0.f), scalar("relu6.max", 6.f)}, out);
          } else {  // Clip-6: bounds as attributes (what OpenCV 4.6 and other older runtimes read)
            auto& p = add_node("Clip", n, {in(n, 0)}, out);
            attr(p, "min", 0.f);
            attr(p, "max", 6.f);
          }
        } else if constexpr (std::is_same_v<A, MaxPoolAttrs> || std::is_same_v<A, AvgPoolAttrs>) {
          constexpr bool avg = std::is_same_v<A, AvgPoolAttrs>;
          auto& p = add_node(avg ? "AveragePool" : "MaxPool", n, {in(n, 0)}, out);
          attr(p, "kernel_shape", {a.kernel_h, a.kernel_w});
          attr(p, "strides", {a.stride_h, a.stride_w});
          attr(p, "pads", {a.pad_h, a.pad_w, a.pad_h, a.pad_w});
          if (a.ceil_mode) attr(p, "ceil_mode", int64_t{1});
          if constexpr (avg) attr(p, "count_include_pad", int64_t{a.count_include_pad ? 1 : 0});
        } else if constexpr (std::is_same_v<A, GlobalAvgPoolAttrs>) {
          add_node("GlobalAveragePool", n, {in(n, 0)}, out);
        } else if constexpr (std::is_same_v<A, LinearAttrs>) {
          std::vector<std::string> inputs{in(n, 0), initializer(g_.params[n.params[0]].name,
                                                                g_.params[n.params[0]].shape, param(n, 0))};
          if (a.bias) {
            inputs.push_back(initializer(g_.params[n.params[1]].name, Shape{a.out_features}, param(n, 1)));
          } else if (o_.opset < 11) {  // Gemm-9 requires C
            const std::vector<float> zeros(static_cast<size_t>(a.out_features), 0.f);
            inputs.push_back(initializer(n.name + ".bias", Shape{a.out_features}, zeros.data()));
          }
          attr(add_node("Gemm", n, inputs, out), "transB", int64_t{1});
        } else if constexpr (std::is_same_v<A, AddAttrs>) {
          add_node("Add", n, {in(n, 0), in(n, 1)}, out);
        } else if constexpr (std::is_same_v<A, MulAttrs>) {  // ONNX broadcasts [N, C, 1, 1] itself
          add_node("Mul", n, {in(n, 0), in(n, 1)}, out);
        } else if constexpr (std::is_same_v<A, ConcatAttrs>) {
          std::vector<std::string> inputs;
          for (size_t k = 0; k < n.inputs.size(); ++k) inputs.push_back(in(n, k));
          attr(add_node("Concat", n, inputs, out), "axis", int64_t{1});
        } else if constexpr (std::is_same_v<A, ChannelSliceAttrs>) {
          add_node("Slice", n,
                   {in(n, 0), ints(n.name + ".starts", {a.begin}), ints(n.name + ".ends", {a.end}),
                    ints(n.name + ".axes", {1})},
                   out);
        } else if constexpr (std::is_same_v<A, ChannelShuffleAttrs>) {
          channel_shuffle(n, a);
          return;
        } else if constexpr (std::is_same_v<A, FlattenAttrs>) {
          attr(add_node("Flatten", n, {in(n, 0)}, out), "axis", int64_t{1});
        } else if constexpr (std::is_same_v<A, DropoutAttrs>) {
          tensor_[n.output] = in(n, 0);  // inference: the identity, no node
          return;
        } else if constexpr (std::is_same_v<A, PointwiseAttrs>) {
          pointwise(n, a);
          return;
        } else {
          fail("cannot export node '{}' ({}) to ONNX", n.name, op_name(n.attrs));
        }
        tensor_[n.output] = out;
      },
      n.attrs);
}

onnx::ModelProto Exporter::run() {
  ET_REQUIRE(o_.opset >= 10 && o_.opset <= 17, "ONNX export supports opsets 10-17, not {}", o_.opset);
  proto_.set_ir_version(8);
  proto_.set_producer_name("edgetrain");
  proto_.set_producer_version("0.1");
  proto_.set_model_version(1);
  proto_.set_doc_string(m_.info.arch + " exported by edgetrain (inference graph)");
  auto* op = proto_.add_opset_import();
  op->set_domain("");
  op->set_version(o_.opset);
  graph_ = proto_.mutable_graph();
  graph_->set_name(m_.info.arch.empty() ? "edgetrain" : m_.info.arch);

  tensor_.assign(g_.values.size(), "");
  out_name_.assign(g_.values.size(), "");
  names_ = {"input", "logits"};
  tensor_[g_.input] = "input";
  // BatchNorms folded into the convolution that alone feeds them.
  const auto consumers = g_.consumers();
  for (const Node& n : g_.nodes) {
    if (!o_.fold_batch_norm || !is<BatchNormAttrs>(n.attrs)) continue;
    const int src = g_.values[n.inputs[0]].producer;
    if (src >= 0 && is<Conv2dAttrs>(g_.nodes[static_cast<size_t>(src)].attrs) && consumers[n.inputs[0]].size() == 1) {
      folded_bn_[src] = g_.values[n.output].producer;
      skipped_.insert(g_.values[n.output].producer);
    }
  }
  // Output names: node names, "logits" for the node that really computes the logits.
  int logits = g_.logits;
  while (is<DropoutAttrs>(g_.nodes[static_cast<size_t>(g_.values[logits].producer)].attrs))
    logits = g_.nodes[static_cast<size_t>(g_.values[logits].producer)].inputs[0];
  for (const Node& n : g_.nodes)
    if (n.output != g_.loss) out_name_[n.output] = n.output == logits ? "logits" : unique(n.name);
  for (auto [conv, bn] : folded_bn_)
    if (g_.nodes[static_cast<size_t>(bn)].output == logits) out_name_[g_.nodes[static_cast<size_t>(bn)].output] = "logits";

  for (const Node& n : g_.nodes)
    if (n.output != g_.loss) node(n);

  const Shape in = g_.input_shape();
  auto typed = [](onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = t->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  };
  typed(graph_->add_input(), "input", {in[1], in[2], in[3]});
  typed(graph_->add_output(), tensor_[g_.logits], {g_.num_classes()});

  auto meta = [&](const std::string& key, const std::string& value) {
    auto* kv = proto_.add_metadata_props();
    kv->set_key(key);
    kv->set_value(value);
  };
  meta("edgetrain.arch", m_.info.arch);
  meta("edgetrain.class_names", nlohmann::json(m_.info.class_names).dump());
  meta("edgetrain.input", fmt::format("{}x{}x{}", in[1], in[2], in[3]));
  if (!m_.info.mean.empty()) meta("edgetrain.mean", nlohmann::json(m_.info.mean).dump());
  if (!m_.info.std.empty()) meta("edgetrain.std", nlohmann::json(m_.info.std).dump());
  try {
    onnx::checker::check_model(proto_);
  } catch (const std::exception& e) {
    fail("the exported ONNX model fails onnx::checker ({}); this is a bug in edgetrain's exporter", e.what());
  }
  return proto_;
}

}  // namespace

void export_onnx(const Network& model, const std::string& path, const OnnxExportOptions& options) {
  check_writable(path);
  const onnx::ModelProto proto = Exporter(model, options).run();
  std::string bytes;
  ET_REQUIRE(proto.SerializeToString(&bytes), "{}: could not serialise the ONNX model (over 2 GiB?)", path);
  write_file_atomic(path, bytes);
}

}  // namespace edgetrain::io
