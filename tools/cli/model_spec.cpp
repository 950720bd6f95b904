#include "model_spec.hpp"

#include "api/handles.hpp"
#include "common.hpp"
#include "io/onnx/onnx_model.hpp"
#include "models/zoo.hpp"

namespace edgetrain::cli {

void add_model_options(CLI::App& app, ModelSpec& spec) {
  app.add_option("--model", spec.arch,
                 "zoo architecture (" + fmt::format("{}", fmt::join(models::zoo_names(), ", ")) + ") or an ONNX file")
      ->capture_default_str();
  app.add_option("--checkpoint", spec.checkpoint, "start from this checkpoint instead of a fresh zoo model");
  app.add_option("--input", spec.input, "input size CxHxW (default: the data's, else the architecture's)");
  app.add_option("--width-mult", spec.width_mult, "width multiplier (mobilenet_v2, mobilenet_v3_*)")->capture_default_str();
  app.add_option("--num-classes", spec.num_classes,
                 "classifier outputs (default: the data's class count, else 10); with an ONNX file or a "
                 "checkpoint, a different count replaces the classifier layer");
}

bool is_onnx_file(const std::string& arch) { return arch.ends_with(".onnx"); }

Shape model_input(const ModelSpec& spec, const Shape& data_chw) {
  if (!spec.input.empty()) return parse_chw(spec.input);
  if (is_onnx_file(spec.arch)) {  // the file decides (its data is resized to it)
    const Shape in = io::import_onnx(spec.arch).graph.input_shape();
    return Shape{in[1], in[2], in[3]};
  }
  if (data_chw.rank() == 3) return data_chw;
  return models::default_input(spec.arch);
}

Model open_api_model(const ModelSpec& spec, int64_t num_classes, const Shape& data_chw, uint64_t seed) {
  ModelOptions mo;
  mo.seed = seed;
  mo.width_mult = spec.width_mult;
  mo.num_classes = spec.num_classes;
  if (!spec.checkpoint.empty()) return Model::load(spec.checkpoint, mo);
  if (is_onnx_file(spec.arch)) {
    if (!spec.input.empty()) mo.input_chw = parse_chw(spec.input).dims();
    return Model::import_onnx(spec.arch, mo);
  }
  mo.num_classes = spec.num_classes > 0 ? spec.num_classes : (num_classes > 0 ? num_classes : 10);
  mo.input_chw = model_input(spec, data_chw).dims();
  return Model::zoo(spec.arch, mo);
}

Network open_model(const ModelSpec& spec, int64_t num_classes, const Shape& data_chw, uint64_t seed) {
  Model m = open_api_model(spec, num_classes, data_chw, seed);
  return std::move(m.state().net);
}

}  // namespace edgetrain::cli
