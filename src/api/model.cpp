// Model: loading, saving, exporting, describing and re-targeting through the internal network (pruning:
// pruning.cpp).
#include "edgetrain/model.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "adapt/classifier_head.hpp"
#include "api/convert.hpp"
#include "api/handles.hpp"
#include "api/input.hpp"
#include "core/check.hpp"
#include "io/model_io.hpp"
#include "io/onnx/onnx_model.hpp"
#include "models/zoo.hpp"
#include "prune/channel_groups.hpp"
#include "train/trainer.hpp"

namespace edgetrain {

namespace {

Network retargeted(Network net, const ModelOptions& o) {
  ET_REQUIRE(o.num_classes >= 0, "num_classes must not be negative, got {}", o.num_classes);
  if (o.num_classes > 0 && o.num_classes != net.graph.num_classes())
    return adapt::with_num_classes(net, o.num_classes, o.seed);
  return net;
}

// Parameter (false) or state (true) slot named `name`; Error listing nothing but the name otherwise.
std::pair<bool, int> find_slot(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.params.size(); ++i)
    if (g.params[i].name == name) return {false, static_cast<int>(i)};
  for (size_t i = 0; i < g.states.size(); ++i)
    if (g.states[i].name == name) return {true, static_cast<int>(i)};
  fail("the model has no parameter or statistic named '{}' (Model::parameters() lists them)", name);
}

}  // namespace

Model::Model(std::shared_ptr<detail::ModelState> s) : state_(std::move(s)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::zoo(const std::string& arch, const ModelOptions& o) {
  ET_REQUIRE(o.num_classes >= 0, "num_classes must not be negative, got {}", o.num_classes);
  const Shape input = o.input_chw.empty() ? models::default_input(arch) : api::chw_shape(o.input_chw, "ModelOptions::input_chw");
  return detail::ModelState::make(
      io::make_zoo_model(arch, o.num_classes > 0 ? o.num_classes : 10, input, o.width_mult, o.seed));
}

std::vector<std::string> Model::zoo_names() { return models::zoo_names(); }

Model Model::load(const std::string& path, const ModelOptions& o) {
  return detail::ModelState::make(retargeted(io::load_checkpoint(path).model, o));
}

Model Model::import_onnx(const std::string& path, const ModelOptions& o) {
  io::OnnxImportOptions io_options;
  if (!o.input_chw.empty()) io_options.input_chw = api::chw_shape(o.input_chw, "ModelOptions::input_chw");
  io_options.seed = o.seed;
  return detail::ModelState::make(retargeted(io::import_onnx(path, io_options), o));
}

Model Model::open(const std::string& name_or_path, const ModelOptions& o) {
  if (name_or_path.ends_with(".onnx")) return import_onnx(name_or_path, o);
  const auto names = models::zoo_names();
  if (std::find(names.begin(), names.end(), name_or_path) != names.end()) return zoo(name_or_path, o);
  ET_REQUIRE(std::filesystem::exists(name_or_path),
             "'{}' is neither a zoo architecture ({}) nor an existing checkpoint or .onnx file", name_or_path,
             fmt::format("{}", fmt::join(names, ", ")));
  return load(name_or_path, o);
}

Model Model::clone() const {
  const Network& src = state_->net;
  Network copy;
  copy.graph = src.graph;
  copy.info = src.info;
  copy.params = ParameterStore(copy.graph, 0);
  for (size_t p = 0; p < copy.graph.params.size(); ++p) {
    const TensorView from = src.params.param(static_cast<int>(p));
    std::memcpy(copy.params.param(static_cast<int>(p)).data, from.data, from.bytes());
  }
  for (size_t s = 0; s < copy.graph.states.size(); ++s) {
    const TensorView from = src.params.state(static_cast<int>(s));
    std::memcpy(copy.params.state(static_cast<int>(s)).data, from.data, from.bytes());
  }
  return detail::ModelState::make(std::move(copy));
}

void Model::save(const std::string& path, const std::map<std::string, std::string>& metadata) const {
  nlohmann::json training = nlohmann::json::object();
  if (!metadata.empty()) training["metadata"] = metadata;
  io::save_checkpoint(path, state_->net, nullptr, training);
}

void Model::export_onnx(const std::string& path, const ExportOptions& options) const {
  io::OnnxExportOptions e;
  e.fold_batch_norm = options.fold_batch_norm;
  e.opset = options.opset;
  io::export_onnx(state_->net, path, e);
}

ModelDescription Model::describe() const {
  const Graph& g = state_->net.graph;
  ModelDescription d;
  d.arch = state_->net.info.arch;
  d.input_chw = input_chw();
  d.num_classes = g.num_classes();
  for (const Node& n : g.nodes) {
    if (n.output == g.loss) continue;
    std::vector<Shape> src;
    for (int v : n.inputs) src.push_back(g.values[v].shape);
    const Shape& dst = g.values[n.output].shape;
    LayerInfo l;
    l.name = n.name;
    l.op = is<PointwiseAttrs>(n.attrs) ? pointwise_name(std::get<PointwiseAttrs>(n.attrs).fn) : op_name(n.attrs);
    std::vector<int64_t> out = dst.dims();
    if (!out.empty()) out[0] = 1;
    l.output = out;
    for (int p : n.params) l.params += g.params[p].shape.numel();
    l.macs = forward_macs(n.attrs, src, dst) / std::max<int64_t>(1, dst.rank() > 0 ? dst[0] : 1);
    d.params += l.params;
    d.macs += l.macs;
    d.layers.push_back(std::move(l));
  }
  return d;
}

std::string Model::channel_groups() const {
  const Graph& g = state_->net.graph;
  return prune::describe(g, prune::analyse_channels(g));
}

const std::string& Model::arch() const { return state_->net.info.arch; }
std::vector<int64_t> Model::input_chw() const {
  const Shape in = state_->net.graph.input_shape();
  return {in[1], in[2], in[3]};
}
int64_t Model::num_classes() const { return state_->net.graph.num_classes(); }
int64_t Model::parameter_count() const { return state_->net.params.param_count(); }
const std::vector<std::string>& Model::class_names() const { return state_->net.info.class_names; }
void Model::set_class_names(std::vector<std::string> names) {
  ET_REQUIRE(names.empty() || static_cast<int64_t>(names.size()) <= num_classes(),
             "{} class names for a model with {} outputs", names.size(), num_classes());
  state_->net.info.class_names = std::move(names);
}
const std::vector<float>& Model::mean() const { return state_->net.info.mean; }
const std::vector<float>& Model::stddev() const { return state_->net.info.std; }
void Model::set_normalization(std::vector<float> mean, std::vector<float> std) {
  const size_t c = static_cast<size_t>(input_chw()[0]);
  ET_REQUIRE(mean.size() == std.size() && (mean.empty() || mean.size() == 1 || mean.size() == c),
             "normalisation needs as many means as standard deviations, one per input channel ({}) or one for all; "
             "got {} and {}", c, mean.size(), std.size());
  for (float s : std) ET_REQUIRE(s > 0, "normalisation standard deviations must be positive, got {}", s);
  state_->net.info.mean = std::move(mean);
  state_->net.info.std = std::move(std);
}

void Model::normalize(const float* images, int64_t n, float* out) const {
  ET_REQUIRE(images && out && n > 0, "normalize: needs images, an output and n > 0");
  api::copy_input(state_->net, true, images, n, out);
}

std::vector<ParameterInfo> Model::parameters() const {
  const Graph& g = state_->net.graph;
  std::vector<ParameterInfo> out;
  for (const Slot& s : g.params) out.push_back({s.name, s.shape.dims(), false});
  for (const Slot& s : g.states) out.push_back({s.name, s.shape.dims(), true});
  return out;
}

std::vector<float> Model::parameter(const std::string& name) const {
  const auto [is_state, id] = find_slot(state_->net.graph, name);
  const TensorView v = is_state ? state_->net.params.state(id) : state_->net.params.param(id);
  const float* p = v.as<float>();
  return std::vector<float>(p, p + v.numel());
}

void Model::set_parameter(const std::string& name, const std::vector<float>& values) {
  const auto [is_state, id] = find_slot(state_->net.graph, name);
  const TensorView v = is_state ? state_->net.params.state(id) : state_->net.params.param(id);
  ET_REQUIRE(static_cast<int64_t>(values.size()) == v.numel(), "'{}' has {} elements, got {}", name, v.numel(),
             values.size());
  std::memcpy(v.data, values.data(), values.size() * sizeof(float));
}

Model Model::with_num_classes(int64_t num_classes, uint64_t seed) const {
  ET_REQUIRE(num_classes > 0, "num_classes must be positive, got {}", num_classes);
  return detail::ModelState::make(adapt::with_num_classes(state_->net, num_classes, seed));
}

Evaluation Model::evaluate(const Dataset& data, const EvalOptions& options) const {
  const std::shared_ptr<const data::Dataset>& set = data.handle().set;
  ET_REQUIRE(set->size() > 0, "the data set is empty");
  ET_REQUIRE(set->sample_shape().dims() == input_chw(), "data samples are {} but the model takes {}: use data of the model's input size",
             set->sample_shape().str(), Shape(input_chw()).str());
  ET_REQUIRE(static_cast<int64_t>(set->class_names().size()) <= num_classes(),
             "the data has {} classes but the model only {} outputs", set->class_names().size(), num_classes());
  const int64_t batch = std::max<int64_t>(1, std::min(options.batch, set->size()));
  Evaluator evaluator(state_->net, batch, api::inference_compile_options(options.engine, batch));
  const EvalResult r = evaluator.run(set, [&](int64_t done, int64_t total, double, double) {
    if (options.on_progress) options.on_progress(done, total);
  });
  return Evaluation{r.loss, r.accuracy, r.samples, r.seconds};
}

}  // namespace edgetrain
