// ONNX -> Network. One pass over the live nodes in file order: constants fold, layers map to ops.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/check.hpp"
#include "graph/builder.hpp"
#include "io/atomic_file.hpp"
#include "io/onnx/onnx_attrs.hpp"
#include "io/onnx/onnx_fold.hpp"
#include "io/onnx/onnx_model.hpp"
#include "io/onnx/onnx_tensor.hpp"
#include "io/onnx/onnx_importer.hpp"

namespace edgetrain::io {
namespace onnx_detail {

namespace {
constexpr int kMinOpset = 9, kMaxOpset = 18;
}  // namespace

const std::map<std::string, Importer::Handler>& Importer::handlers() {
  static const std::map<std::string, Handler> table{
      {"Conv", &Importer::conv},
      {"BatchNormalization", &Importer::batch_norm},
      {"Relu", &Importer::relu},
      {"Clip", &Importer::clip},
      {"LeakyRelu", &Importer::pointwise},
      {"Sigmoid", &Importer::pointwise},
      {"HardSigmoid", &Importer::pointwise},
      {"HardSwish", &Importer::pointwise},
      {"MaxPool", &Importer::max_pool},
      {"AveragePool", &Importer::average_pool},
      {"GlobalAveragePool", &Importer::global_average_pool},
      {"ReduceMean", &Importer::reduce_mean},
      {"Gemm", &Importer::gemm},
      {"MatMul", &Importer::matmul},
      {"Add", &Importer::add},
      {"Mul", &Importer::mul_div},
      {"Div", &Importer::mul_div},
      {"Concat", &Importer::concat},
      {"Flatten", &Importer::flatten},
      {"Reshape", &Importer::reshape_like},
      {"Squeeze", &Importer::reshape_like},
      {"Unsqueeze", &Importer::reshape_like},
      {"Dropout", &Importer::dropout},
      {"Pad", &Importer::pad},
      {"Identity", &Importer::identity},
      {"Slice", &Importer::slice},
      {"Split", &Importer::split},
      {"Transpose", &Importer::transpose},
  };
  return table;
}

// --- file level ---------------------------------------------------------------------------------

void Importer::parse() {
  file_ = std::filesystem::path(path_).filename().string();
  const std::string bytes = bytes_ ? std::move(*bytes_) : read_file(path_);
  ET_REQUIRE(!bytes.empty(), "{}: empty file, not an ONNX model", path_);
  ET_REQUIRE(proto_.ParseFromString(bytes), "{}: not an ONNX model, or a truncated one (the protobuf does not parse)",
             path_);
  ET_REQUIRE(proto_.has_graph() && proto_.graph().node_size() > 0 && proto_.ir_version() > 0,
             "{}: not an ONNX model (no IR version or no graph)", path_);
}

void Importer::read_opset() {
  for (const auto& o : proto_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = static_cast<int>(o.version());
  ET_REQUIRE(opset_ >= kMinOpset && opset_ <= kMaxOpset,
             "{}: opset {} is outside the supported range {}-{} (PyTorch: re-export with opset_version between 11 and 17)",
             path_, opset_, kMinOpset, kMaxOpset);
}

void Importer::read_initializers() {
  for (const auto& t : proto_.graph().initializer()) {
    constants_[t.name()] = decode_tensor(t, path_);
    initializer_of_[t.name()] = t.name();
  }
}

Shape Importer::read_input() {
  const onnx::ValueInfoProto* input = nullptr;
  for (const auto& in : proto_.graph().input()) {
    if (constants_.contains(in.name())) continue;  // older exporters list initializers as inputs
    ET_REQUIRE(input == nullptr, "{}: the graph has several inputs ('{}', '{}'); edgetrain trains models with one image "
               "input", path_, input ? input->name() : "", in.name());
    input = &in;
  }
  ET_REQUIRE(input != nullptr, "{}: the graph has no input", path_);
  const auto& type = input->type();
  ET_REQUIRE(type.has_tensor_type() && type.tensor_type().elem_type() == onnx::TensorProto::FLOAT,
             "{}: input '{}' is not a float tensor", path_, input->name());
  const auto& dims = type.tensor_type().shape().dim();
  ET_REQUIRE(dims.size() == 4, "{}: input '{}' has rank {}; edgetrain needs an image batch [N, C, H, W]", path_,
             input->name(), dims.size());
  values_[input->name()] = 0;  // GraphBuilder's input value
  if (dims[0].has_dim_value() && dims[0].dim_value() > 0) export_batch_ = dims[0].dim_value();
  if (options_.input_chw.rank() == 3) return options_.input_chw;
  std::vector<int64_t> chw;
  for (int k = 1; k < 4; ++k) {
    const auto& d = dims[k];
    ET_REQUIRE(d.has_dim_value() && d.dim_value() > 0,
               "{}: input '{}' has a dynamic dimension {} ('{}'); fix the size (ModelOptions::input_chw; --input CxHxW)", path_,
               input->name(), k, d.dim_param());
    chw.push_back(d.dim_value());
  }
  return Shape(chw);
}

std::set<int> Importer::live_nodes(const std::string& output) const {
  std::set<int> live;
  std::vector<std::string> todo{output};
  while (!todo.empty()) {
    std::string t = todo.back();
    todo.pop_back();
    auto it = producer_.find(t);
    if (it == producer_.end() || !live.insert(it->second).second) continue;
    for (const auto& in : proto_.graph().node(it->second).input())
      if (!in.empty()) todo.push_back(in);
  }
  return live;
}

// MatMul followed by Add of a constant vector is a Linear layer with bias.
void Importer::prepare_fusions(const std::set<int>& live) {
  std::unordered_map<std::string, std::vector<int>> consumers;
  for (int k : live)
    for (const auto& in : proto_.graph().node(k).input()) consumers[in].push_back(k);
  for (int k : live) {
    const auto& n = proto_.graph().node(k);
    if (n.op_type() != "MatMul") continue;
    const auto& users = consumers[n.output(0)];
    if (users.size() != 1) continue;
    const auto& add = proto_.graph().node(users[0]);
    if (add.op_type() != "Add" || add.input_size() != 2) continue;
    const std::string& other = add.input(0) == n.output(0) ? add.input(1) : add.input(0);
    const bool is_const = constants_.contains(other) ||
                          (producer_.contains(other) && proto_.graph().node(producer_.at(other)).op_type() == "Constant");
    if (!is_const) continue;
    matmul_bias_[k] = users[0];
    fused_adds_.insert(users[0]);
  }
  // x * HardSigmoid(x) is HardSwish (PyTorch exports hardswish so below opset 14, as does edgetrain);
  // x * Sigmoid(x) is SiLU (Swish: PyTorch exports SiLU so at every opset). The gate must have no other
  // reader, else it stays a layer of its own and the Mul multiplies two computed tensors.
  for (int k : live) {
    const auto& n = proto_.graph().node(k);
    if (n.op_type() != "Mul" || n.input_size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      auto it = producer_.find(n.input(side));
      if (it == producer_.end()) continue;
      const auto& gate = proto_.graph().node(it->second);
      if ((gate.op_type() == "HardSigmoid" || gate.op_type() == "Sigmoid") && gate.input_size() == 1 &&
          gate.input(0) == n.input(1 - side) && consumers[gate.output(0)].size() == 1) {
        gated_[k] = it->second;
        absorbed_.insert(it->second);
        break;
      }
    }
  }
}

Network Importer::run() {
  parse();
  read_opset();
  read_initializers();
  const auto& g = proto_.graph();
  for (int k = 0; k < g.node_size(); ++k)
    for (const auto& out : g.node(k).output()) producer_[out] = k;
  builder_.emplace(read_input());
  ET_REQUIRE(g.output_size() > 0, "{}: the graph has no output", path_);
  const std::string& output = g.output(0).name();  // the logits; further outputs (BN running stats) are ignored
  const std::set<int> live = live_nodes(output);
  read_.insert(output);
  for (int k : live)
    for (const auto& in : g.node(k).input()) read_.insert(in);
  prepare_fusions(live);
  for (int k : live) import_node(k);
  auto it = values_.find(output);
  ET_REQUIRE(it != values_.end(), "{}: output '{}' is a constant, not computed from the input", path_, output);
  int logits = it->second;
  if (shape_of(logits).rank() == 4 && shape_of(logits)[2] == 1 && shape_of(logits)[3] == 1) {
    const auto& last = g.node(producer_.at(output));  // a value has a producer
    logits = emit(last, node_name(last, "") + "/flatten", FlattenAttrs{}, {logits}, {});
  }
  ET_REQUIRE(shape_of(logits).rank() == 2, "{}: output '{}' has shape {}; edgetrain trains classifiers with [N, K] "
             "logits", path_, output, shape_of(logits).str());
  return build(logits);
}

void Importer::import_node(int index) {
  const auto& n = proto_.graph().node(index);
  current_ = index;
  ET_REQUIRE(n.domain().empty() || n.domain() == "ai.onnx",
             "{}: node '{}' uses operator '{}' from domain '{}', which edgetrain cannot import; supported: {}", path_,
             n.name(), n.op_type(), n.domain(), supported_onnx_operators());
  if (fused_adds_.contains(index)) {  // the bias of a MatMul already became a Linear layer
    bind(n, value(n, values_.contains(n.input(0)) ? 0 : 1));
    return;
  }
  if (matmul_bias_.contains(index)) {
    matmul(n);
    return;
  }
  if (absorbed_.contains(index)) return;
  if (auto it = gated_.find(index); it != gated_.end()) {
    const auto& gate = proto_.graph().node(it->second);
    const int x = value(gate, 0);
    const PointwiseAttrs a = gate.op_type() == "Sigmoid"
                                 ? PointwiseAttrs{PointwiseFn::silu, 0.0, 0.0}
                                 : PointwiseAttrs{PointwiseFn::hard_swish, attr_float(gate, "alpha", 0.2f),
                                                  attr_float(gate, "beta", 0.5f)};
    bind(n, emit(n, node_name(n, ""), a, {x}, {}));
    return;
  }
  for (const auto& in : n.input())
    ET_REQUIRE(!padded_.contains(in) || n.op_type() == "Conv" || n.op_type() == "AveragePool",
               "{}: zero padding (Pad) is supported in front of Conv and AveragePool only", where(n));
  // Constants (and shapes of computed tensors, which are static here) fold.
  bool all_constant = true;
  std::vector<const Constant*> ins;
  for (int k = 0; k < n.input_size(); ++k) {
    const Constant* c = n.input(k).empty() ? nullptr : constant(n.input(k));
    if (!n.input(k).empty() && c == nullptr) all_constant = false;
    ins.push_back(c);
  }
  if (n.op_type() == "Shape" && !all_constant && n.input_size() == 1) {
    std::vector<int64_t> dims = shape_of(value(n, 0)).dims();
    const auto r = static_cast<int64_t>(dims.size());
    int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
    start = std::clamp(start < 0 ? start + r : start, int64_t{0}, r);
    end = std::clamp(end < 0 ? end + r : end, int64_t{0}, r);
    constants_[n.output(0)] = Constant::of_ints({dims.begin() + start, dims.begin() + std::max(start, end)});
    return;
  }
  if (all_constant && is_foldable(n.op_type())) {
    auto outs = fold(n, ins, opset_, where(n));
    for (size_t k = 0; k < outs.size() && static_cast<int>(k) < n.output_size(); ++k) {
      constants_[n.output(static_cast<int>(k))] = std::move(outs[k]);
      if (n.op_type() == "Identity" && initializer_of_.contains(n.input(0)))
        initializer_of_[n.output(0)] = initializer_of_.at(n.input(0));
    }
    return;
  }
  auto h = handlers().find(n.op_type());
  ET_REQUIRE(h != handlers().end(), "{}: node '{}' uses operator '{}', which edgetrain cannot import; supported: {}",
             path_, n.name(), n.op_type(), supported_onnx_operators());
  // The handlers read these inputs by position (optional ones they check with has()).
  static const std::map<std::string, int> kRequiredInputs{{"Conv", 2}, {"BatchNormalization", 5}, {"Gemm", 2},
                                                          {"MatMul", 2}, {"Add", 2}, {"Mul", 2}, {"Div", 2}};
  const auto required = kRequiredInputs.find(n.op_type());
  const int need = required == kRequiredInputs.end() ? 1 : required->second;
  ET_REQUIRE(n.input_size() >= need, "{}: has {} inputs, {} needs {}", where(n), n.input_size(), n.op_type(), need);
  (this->*h->second)(n);
}

Network Importer::build(int logits) {
  Network m;
  m.graph = builder_->finish(logits);
  payloads_.emplace_back();  // the loss node
  for (size_t k = 0; k < m.graph.nodes.size(); ++k) {
    const Node& node = m.graph.nodes[k];
    const NodePayload& p = payloads_[k];
    ET_ASSERT(p.params.size() == node.params.size() && p.states.size() == node.states.size());
    for (size_t i = 0; i < p.params.size(); ++i) m.graph.params[node.params[i]].name = p.params[i].name;
    for (size_t i = 0; i < p.states.size(); ++i) m.graph.states[node.states[i]].name = p.states[i].name;
  }
  m.params = ParameterStore(m.graph, options_.seed);
  for (size_t k = 0; k < m.graph.nodes.size(); ++k) {
    const Node& node = m.graph.nodes[k];
    auto copy = [&](const SlotData& s, const TensorView& dst) {
      ET_REQUIRE(s.shape.numel() == dst.numel() && static_cast<int64_t>(s.data.size()) == dst.numel(),
                 "{}: tensor '{}' has shape {}, layer '{}' needs {}", path_, s.name, s.shape.str(), node.name,
                 dst.shape.str());
      std::copy(s.data.begin(), s.data.end(), dst.as<float>());
    };
    for (size_t i = 0; i < node.params.size(); ++i) copy(payloads_[k].params[i], m.params.param(node.params[i]));
    for (size_t i = 0; i < node.states.size(); ++i) copy(payloads_[k].states[i], m.params.state(node.states[i]));
  }
  // Metadata edgetrain writes on export (or a converter's class labels) come back.
  m.info.arch = std::filesystem::path(path_).stem().string();
  for (const auto& kv : proto_.metadata_props()) {
    try {
      if (kv.key() == "edgetrain.arch") m.info.arch = kv.value();
      if (kv.key() == "edgetrain.class_names")
        m.info.class_names = nlohmann::json::parse(kv.value()).get<std::vector<std::string>>();
      if (kv.key() == "edgetrain.mean") m.info.mean = nlohmann::json::parse(kv.value()).get<std::vector<float>>();
      if (kv.key() == "edgetrain.std") m.info.std = nlohmann::json::parse(kv.value()).get<std::vector<float>>();
    } catch (const nlohmann::json::exception& e) {
      fail("{}: metadata '{}' is malformed ({})", path_, kv.key(), e.what());
    }
  }
  const int64_t k = m.graph.num_classes();
  if (static_cast<int64_t>(m.info.class_names.size()) > k) m.info.class_names.clear();
  for (auto c = static_cast<int64_t>(m.info.class_names.size()); c < k; ++c)  // outputs without a name
    m.info.class_names.push_back(std::to_string(c));
  return m;
}

// --- helpers ------------------------------------------------------------------------------------

std::string Importer::where(const onnx::NodeProto& n) const {
  return fmt::format("{}: node '{}' ({})", path_, n.name(), n.op_type());
}

const Constant* Importer::constant(const std::string& name) const {
  auto it = constants_.find(name);
  return it == constants_.end() ? nullptr : &it->second;
}

const Constant& Importer::require_constant(const onnx::NodeProto& n, int k, const char* role, bool floating) const {
  ET_REQUIRE(has(n, k), "{}: the {} input is missing", where(n), role);
  const Constant* c = constant(n.input(k));
  ET_REQUIRE(c != nullptr, "{}: the {} ('{}') must be a constant or an initializer, not computed", where(n), role,
             n.input(k));
  ET_REQUIRE(c->is_float || !floating,
             "{}: the {} ('{}') is not a float tensor", where(n), role, n.input(k));
  return *c;
}

int Importer::value(const onnx::NodeProto& n, int k) const {
  ET_REQUIRE(has(n, k), "{}: input {} is missing", where(n), k);
  ET_REQUIRE(!grouped_views_.contains(n.input(k)),
             "{}: input '{}' is a 5-D grouped view of a channel shuffle; edgetrain imports Reshape [N, C, H, W] -> "
             "[N, g, C/g, H, W] only as the start of Reshape, Transpose perm (0, 2, 1, 3, 4), Reshape back",
             where(n), n.input(k));
  auto it = values_.find(n.input(k));
  ET_REQUIRE(it != values_.end(), "{}: input '{}' is {}", where(n), n.input(k),
             constants_.contains(n.input(k)) ? "a constant where a computed tensor is expected"
                                              : "not produced by any supported node before it");
  return it->second;
}

std::string Importer::node_name(const onnx::NodeProto& n, const std::string& weight) {
  std::string base;
  const std::string suffix = ".weight";
  if (weight.size() > suffix.size() && weight.ends_with(suffix)) base = weight.substr(0, weight.size() - suffix.size());
  else if (!n.name().empty()) base = n.name()[0] == '/' ? n.name().substr(1) : n.name();
  if (base.empty()) base = n.op_type() + "_" + std::to_string(node_names_.size());
  std::string name = base;
  for (int k = 2; node_names_.contains(name) || name == "input" || name == "labels" || name == "loss"; ++k)
    name = base + "_" + std::to_string(k);
  node_names_.insert(name);
  return name;
}

std::string Importer::slot_name(const std::string& wanted) {
  std::string name = wanted;
  for (int k = 2; slot_names_.contains(name); ++k) name = wanted + "#" + std::to_string(k);
  slot_names_.insert(name);
  return name;
}

int Importer::emit(const onnx::NodeProto& n, const std::string& name, Attrs attrs, std::vector<int> srcs,
                   NodePayload payload) {
  for (auto& s : payload.params) s.name = slot_name(s.name);
  for (auto& s : payload.states) s.name = slot_name(s.name);
  int v;
  try {
    v = builder_->node(name, std::move(attrs), srcs);
  } catch (const Error& e) {
    fail("{}: {}", where(n), e.what());
  }
  payloads_.push_back(std::move(payload));
  return v;
}

void Importer::spatial_attrs(const onnx::NodeProto& n, const Shape& in, int kh, int kw, int& sh, int& sw, int& ph,
                             int& pw) {
  auto strides = attr_ints(n, "strides", {1, 1});
  auto pads = attr_ints(n, "pads", {0, 0, 0, 0});
  auto dil = attr_ints(n, "dilations", {1, 1});
  ET_REQUIRE(strides.size() == 2 && pads.size() == 4 && dil.size() == 2, "{}: only 2-D spatial operators are supported",
             where(n));
  for (int64_t v : strides) ET_REQUIRE(v > 0 && v < 65536, "{}: stride {} is not positive", where(n), v);
  for (int64_t v : dil) ET_REQUIRE(v > 0 && v < 65536, "{}: dilation {} is not positive", where(n), v);
  for (int64_t v : pads) ET_REQUIRE(v >= 0 && v < 65536, "{}: padding {} is negative", where(n), v);
  ET_REQUIRE(kh > 0 && kw > 0 && kh < 65536 && kw < 65536, "{}: kernel {}x{} is not positive", where(n), kh, kw);
  sh = static_cast<int>(strides[0]);
  sw = static_cast<int>(strides[1]);
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const int k[2] = {kh, kw}, s[2] = {sh, sw};
    for (int d = 0; d < 2; ++d) {
      const int64_t size = in[2 + d], out = (size + s[d] - 1) / s[d];
      const int64_t total = std::max<int64_t>((out - 1) * s[d] + (k[d] - 1) * dil[static_cast<size_t>(d)] + 1 - size, 0);
      pads[static_cast<size_t>(d)] = total / 2;
      pads[static_cast<size_t>(d) + 2] = total - total / 2;
    }
  } else {
    ET_REQUIRE(auto_pad == "NOTSET" || auto_pad.empty(), "{}: auto_pad '{}' is not supported", where(n), auto_pad);
  }
  ET_REQUIRE(pads[0] == pads[2] && pads[1] == pads[3],
             "{}: asymmetric padding {} is not supported (edgetrain pads both sides equally)", where(n),
             fmt::format("[{}]", fmt::join(pads, ", ")));
  ph = static_cast<int>(pads[0]);
  pw = static_cast<int>(pads[1]);
  if (auto it = padded_.find(n.input(0)); it != padded_.end()) {  // an explicit zero Pad before it
    ph += it->second.first;
    pw += it->second.second;
  }
}

}  // namespace onnx_detail

std::string supported_onnx_operators() {
  return "Conv, BatchNormalization, Relu, Clip (0..6 as ReLU6), LeakyRelu, Sigmoid, HardSigmoid, HardSwish, "
         "x * Sigmoid(x) (SiLU), "
         "MaxPool, AveragePool, GlobalAveragePool, ReduceMean (spatial axes), Pad (zeros, before Conv/AveragePool), Gemm, MatMul (+ Add bias), Add, Mul/Div by a scalar, "
         "Mul of two tensors (same shape, or [N, C, 1, 1] broadcast), Concat "
         "(channels), Slice/Split (channels), channel shuffle (Reshape, Transpose, Reshape), "
         "Flatten, Reshape/Squeeze/Unsqueeze (flattening), Dropout, Identity, and on constants: "
         "Constant, Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, Reshape, ConstantOfShape, Add/Sub/Mul/Div";
}

Network import_onnx(const std::string& path, const OnnxImportOptions& options) {
  return onnx_detail::Importer(path, options).run();
}

Network import_onnx_bytes(std::string bytes, const std::string& path, const OnnxImportOptions& options) {
  return onnx_detail::Importer(std::move(bytes), path, options).run();
}

}  // namespace edgetrain::io
