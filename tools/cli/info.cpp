// edgetrain info: a model's layers, output shapes, parameters and FLOPs.
#include <fmt/format.h>

#include "common.hpp"
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
  Model model = open_model(o.model, 0, Shape{}, 1);
  const Graph& g = model.graph;
  nlohmann::json layers = nlohmann::json::array();
  int64_t total_params = 0, total_macs = 0;
  if (!o.quiet) fmt::print("{:<32} {:<20} {:<20} {:>12} {:>14}\n", "layer", "op", "output", "params", "MFLOP");
  for (const Node& n : g.nodes) {
    if (n.output == g.loss) continue;
    std::vector<Shape> src;
    for (int v : n.inputs) src.push_back(g.values[v].shape);
    const Shape& dst = g.values[n.output].shape;
    int64_t params = 0;
    for (int p : n.params) params += g.params[p].shape.numel();
    int64_t macs = forward_macs(n.attrs, src, dst);
    const std::string_view op =
        is<PointwiseAttrs>(n.attrs) ? pointwise_name(std::get<PointwiseAttrs>(n.attrs).fn) : op_name(n.attrs);
    total_params += params;
    total_macs += macs;
    if (!o.quiet)
      fmt::print("{:<32} {:<20} {:<20} {:>12} {:>14.2f}\n", n.name, op, dst.str(), params,
                 2.0 * static_cast<double>(macs) / 1e6);
    layers.push_back({{"name", n.name}, {"op", op}, {"output", dst.dims()}, {"params", params},
                      {"macs", macs}});
  }
  fmt::print("{}: input {}, {} classes, {} layers, {} parameters ({}), {:.1f} MFLOP forward per image "
             "({:.1f} MFLOP to train)\n",
             model.info.arch, g.input_shape().str(), g.num_classes(), layers.size(), total_params,
             human_bytes(static_cast<size_t>(total_params) * 4), 2.0 * static_cast<double>(total_macs) / 1e6,
             6.0 * static_cast<double>(total_macs) / 1e6);
  write_json(o.json, {{"model", model.info.arch}, {"input", g.input_shape().dims()}, {"classes", g.num_classes()},
                      {"parameters", total_params}, {"forward_macs", total_macs}, {"layers", layers}});
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
