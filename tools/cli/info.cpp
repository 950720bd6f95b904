// edgetrain info: a model's layers, output shapes, parameters and FLOPs.
#include <fmt/format.h>

#include "common.hpp"
#include "edgetrain/edgetrain.hpp"
#include "model_spec.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct InfoOptions {
  ModelSpec model;
  bool quiet = false;
  std::string json;
};

int run_info(const InfoOptions& o) {
  const Model model = open_api_model(o.model, 0, Shape{}, 1);
  const ModelDescription d = model.describe();
  nlohmann::json layers = nlohmann::json::array();
  if (!o.quiet) fmt::print("{:<32} {:<20} {:<20} {:>12} {:>14}\n", "layer", "op", "output", "params", "MFLOP");
  for (const LayerInfo& l : d.layers) {
    if (!o.quiet)
      fmt::print("{:<32} {:<20} {:<20} {:>12} {:>14.2f}\n", l.name, l.op, shape_text(l.output), l.params,
                 2.0 * static_cast<double>(l.macs) / 1e6);
    layers.push_back({{"name", l.name}, {"op", l.op}, {"output", l.output}, {"params", l.params}, {"macs", l.macs}});
  }
  const std::vector<int64_t> input = {1, d.input_chw[0], d.input_chw[1], d.input_chw[2]};
  fmt::print("{}: input {}, {} classes, {} layers, {} parameters ({}), {:.1f} MFLOP forward per image "
             "({:.1f} MFLOP to train)\n",
             d.arch, shape_text(input), d.num_classes, layers.size(), d.params,
             format_bytes(static_cast<size_t>(d.params) * 4), 2.0 * static_cast<double>(d.macs) / 1e6,
             6.0 * static_cast<double>(d.macs) / 1e6);
  write_json(o.json, {{"model", d.arch}, {"input", input}, {"classes", d.num_classes},
                      {"parameters", d.params}, {"forward_macs", d.macs}, {"layers", layers}});
  return 0;
}

}  // namespace

Action add_info(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  add_model_options(app, o->model);
  app.add_flag("--quiet", o->quiet, "only the summary line");
  app.add_option("--json", o->json, "write a machine-readable report here");
  return [o] { return run_info(*o); };
}

}  // namespace edgetrain::cli
