// edgetrain eval: accuracy and loss of a checkpoint on a data set, per class too.
#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"
#include "core/check.hpp"
#include "edgetrain/edgetrain.hpp"
#include "environment.hpp"
#include "io/tensor_file.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct EvalVerbOptions {
  std::string checkpoint = "fmnist-cnn.ckpt";
  DataSpec data;
  int64_t batch = 256;
  std::string json;
  std::string backend = "auto";
  std::string dump;  // tensor file: the first dump_count inputs (normalised) and their logits
  int64_t dump_count = 8;
};

// The first `count` samples of `set`, normalised as evaluation feeds them, and the model's logits.
void dump_sample(const Model& model, const Dataset& set, int64_t count, const std::string& backend,
                 const std::string& path) {
  count = std::max<int64_t>(1, std::min(count, set.size()));
  const std::vector<int64_t> chw = model.input_chw();
  const int64_t sample = chw[0] * chw[1] * chw[2];
  std::vector<float> raw(static_cast<size_t>(count * sample)), images(raw.size());
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    set.read(i, raw.data() + i * sample);
    labels[static_cast<size_t>(i)] = set.label(i);
  }
  model.normalize(raw.data(), count, images.data());  // as a session feeds them to the network
  InferenceOptions io;
  io.batch = count;
  io.normalize_inputs = false;
  io.engine = engine_options(backend);
  InferenceSession session(model, io);
  const std::vector<float> logits = session.logits(images.data(), count);
  io::write_tensor_file(path, {io::make_record("input", Shape{count, chw[0], chw[1], chw[2]}, images.data()),
                               io::make_record("labels", Shape{count}, labels.data()),
                               io::make_record("logits", Shape{count, model.num_classes()}, logits.data())});
}

int run_eval(const EvalVerbOptions& o) {
  const Model model = Model::load(o.checkpoint);
  const std::vector<int64_t> chw = model.input_chw();
  Datasets data = open_datasets(o.data, Shape(chw));
  const Dataset& set = data.test ? *data.test : data.train;
  ET_REQUIRE(set.sample_shape() == chw,
             "data samples are {} but the model takes {}: use data of the model's input size",
             shape_text(set.sample_shape()), shape_text(chw));
  ET_REQUIRE(static_cast<int64_t>(set.class_names().size()) <= model.num_classes(),
             "the data has {} classes but the model only {} outputs", set.class_names().size(), model.num_classes());
  Progress bar("eval", (set.size() + o.batch - 1) / o.batch);
  EvalOptions eo;
  eo.batch = o.batch;
  eo.engine = engine_options(o.backend);
  eo.on_progress = [&](int64_t done, int64_t) { bar.update(done, ""); };
  const Evaluation r = model.evaluate(set, eo);
  bar.finish();
  if (!o.dump.empty()) dump_sample(model, set, o.dump_count, o.backend, o.dump);
  fmt::print("{}: {} on {} samples: accuracy {:.2f} %, loss {:.4f} ({:.1f} s, {:.0f} img/s)\n", o.checkpoint,
             model.arch(), r.samples, 100.0 * r.accuracy, r.loss, r.seconds,
             static_cast<double>(r.samples) / r.seconds);
  write_json(o.json, {{"command", "eval"},
                      {"checkpoint", o.checkpoint},
                      {"model", model.arch()},
                      {"samples", r.samples},
                      {"accuracy", r.accuracy},
                      {"loss", r.loss},
                      {"seconds", r.seconds}});
  return 0;
}

}  // namespace

Action add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalVerbOptions>();
  app.add_option("--checkpoint", o->checkpoint, "checkpoint to evaluate")->capture_default_str();
  add_data_options(app, o->data);
  app.add_option("--batch", o->batch, "batch size")->capture_default_str();
  app.add_option("--json", o->json, "write a machine-readable report here");
  app.add_option("--backend", o->backend,
                 "kernels: auto (fastest available), onednn, native (edgetrain's own loops), ref (reference loops)")
      ->capture_default_str();
  app.add_option("--dump", o->dump,
                 "write the first --dump-count inputs (normalised), labels and logits to this "
                 "tensor file (for checking an exported model elsewhere)");
  app.add_option("--dump-count", o->dump_count, "samples in --dump")->capture_default_str();
  return [o] { return run_eval(*o); };
}

}  // namespace edgetrain::cli
