#include "model_spec.hpp"

#include "common.hpp"
#include "io/model_io.hpp"
#include "models/zoo.hpp"

namespace edgetrain::cli {

void add_model_options(CLI::App& app, ModelSpec& spec) {
  app.add_option("--model", spec.arch, "zoo architecture: " + fmt::format("{}", fmt::join(models::zoo_names(), ", ")))
      ->capture_default_str();
  app.add_option("--checkpoint", spec.checkpoint, "start from this checkpoint instead of a fresh zoo model");
  app.add_option("--input", spec.input, "input size CxHxW (default: the data's, else the architecture's)");
  app.add_option("--width-mult", spec.width_mult, "width multiplier (mobilenet_v2)")->capture_default_str();
  app.add_option("--num-classes", spec.num_classes, "classifier outputs (default: the data's class count, else 10)");
}

Shape model_input(const ModelSpec& spec, const Shape& data_chw) {
  if (!spec.input.empty()) return parse_chw(spec.input);
  if (data_chw.rank() == 3) return data_chw;
  return models::default_input(spec.arch);
}

Model open_model(const ModelSpec& spec, int64_t num_classes, const Shape& data_chw, uint64_t seed) {
  if (!spec.checkpoint.empty()) return io::load_checkpoint(spec.checkpoint).model;
  int64_t k = spec.num_classes > 0 ? spec.num_classes : (num_classes > 0 ? num_classes : 10);
  return io::make_zoo_model(spec.arch, k, model_input(spec, data_chw), spec.width_mult, seed);
}

}  // namespace edgetrain::cli
