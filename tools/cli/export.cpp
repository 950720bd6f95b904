// edgetrain export: a checkpoint (or a zoo model, or an ONNX file) as an ONNX inference graph.
#include <fmt/format.h>

#include "common.hpp"
#include "io/atomic_file.hpp"
#include "io/onnx/onnx_model.hpp"
#include "model_spec.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct ExportOptions {
  ModelSpec model;
  std::string output;
  bool fold_bn = false;
  int opset = 13;
};

int run_export(const ExportOptions& o) {
  io::check_writable(o.output);
  Model model = open_model(o.model, 0, Shape{}, 1);
  io::OnnxExportOptions e;
  e.fold_batch_norm = o.fold_bn;
  e.opset = o.opset;
  io::export_onnx(model, o.output, e);
  int64_t params = 0;
  for (const Slot& p : model.graph.params) params += p.shape.numel();
  fmt::print("{}: {} (input {}, {} classes, {} parameters) as ONNX opset {}{}\n", o.output, model.info.arch,
             model.graph.input_shape().str(), model.graph.num_classes(), params, o.opset,
             o.fold_bn ? ", BatchNorm folded into convolutions" : "");
  return 0;
}

}  // namespace

Action add_export(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  add_model_options(app, o->model);
  app.add_option("--output,-o", o->output, "ONNX file to write (atomically)")->required();
  app.add_flag("--fold-bn", o->fold_bn, "fold BatchNorm into the preceding convolution (inference only)");
  app.add_option("--opset", o->opset, "ONNX opset (10-17; 10 for OpenCV <= 4.6 and other older runtimes)")
      ->capture_default_str();
  return [o] { return run_export(*o); };
}

}  // namespace edgetrain::cli
