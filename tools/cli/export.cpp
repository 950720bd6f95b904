// edgetrain export: a checkpoint (or a zoo model, or an ONNX file) as an ONNX inference graph.
#include <fmt/format.h>

#include "common.hpp"
#include "edgetrain/edgetrain.hpp"
#include "io/atomic_file.hpp"
#include "model_spec.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct ExportVerbOptions {
  ModelSpec model;
  std::string output;
  bool fold_bn = false;
  int opset = 13;
};

int run_export(const ExportVerbOptions& o) {
  io::check_writable(o.output);
  const Model model = open_api_model(o.model, 0, Shape{}, 1);
  ExportOptions e;
  e.fold_batch_norm = o.fold_bn;
  e.opset = o.opset;
  model.export_onnx(o.output, e);
  const std::vector<int64_t> chw = model.input_chw();
  fmt::print("{}: {} (input {}, {} classes, {} parameters) as ONNX opset {}{}\n", o.output, model.arch(),
             shape_text({1, chw[0], chw[1], chw[2]}), model.num_classes(), model.parameter_count(), o.opset,
             o.fold_bn ? ", BatchNorm folded into convolutions" : "");
  return 0;
}

}  // namespace

Action add_export(CLI::App& app) {
  auto o = std::make_shared<ExportVerbOptions>();
  add_model_options(app, o->model);
  app.add_option("--output,-o", o->output, "ONNX file to write (atomically)")->required();
  app.add_flag("--fold-bn", o->fold_bn, "fold BatchNorm into the preceding convolution (inference only)");
  app.add_option("--opset", o->opset, "ONNX opset (10-17; 10 for OpenCV <= 4.6 and other older runtimes)")
      ->capture_default_str();
  return [o] { return run_export(*o); };
}

}  // namespace edgetrain::cli
