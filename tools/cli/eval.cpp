// edgetrain eval: accuracy and loss of a checkpoint on a data set, per class too.
#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"
#include "core/check.hpp"
#include "data/loader.hpp"
#include "io/model_io.hpp"
#include "io/tensor_file.hpp"
#include "train/predict.hpp"
#include "train/trainer.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct EvalOptions {
  std::string checkpoint = "fmnist-cnn.ckpt";
  DataSpec data;
  int64_t batch = 256;
  std::string json;
  std::string backend = "auto";
  std::string dump;      // tensor file: the first dump_count inputs (normalised) and their logits
  int64_t dump_count = 8;
};

// The first `count` samples of `set`, normalised as evaluation feeds them, and the model's logits.
void dump_sample(const Model& model, std::shared_ptr<const data::Dataset> set, int64_t count,
                 const std::string& backend, const std::string& path) {
  count = std::max<int64_t>(1, std::min(count, set->size()));
  data::LoaderOptions lo;
  lo.batch = count;
  lo.shuffle = false;
  lo.augment.mean = model.info.mean;
  lo.augment.std = model.info.std;
  data::BatchLoader loader(set, lo);
  loader.start_epoch(0);
  const Shape in = model.graph.input_shape();
  std::vector<float> images(static_cast<size_t>(count * in.numel_from(1)));
  std::vector<int32_t> labels(static_cast<size_t>(count));
  loader.next(images.data(), labels.data());
  const std::vector<float> logits = predict_logits(model, images.data(), count, backend);
  io::write_tensor_file(path, {io::make_record("input", Shape{count, in[1], in[2], in[3]}, images.data()),
                               io::make_record("labels", Shape{count}, labels.data()),
                               io::make_record("logits", Shape{count, model.graph.num_classes()}, logits.data())});
}

int run_eval(const EvalOptions& o) {
  io::LoadedCheckpoint ckpt = io::load_checkpoint(o.checkpoint);
  const Model& model = ckpt.model;
  const Shape in = model.graph.input_shape();
  DataSplits data = open_data(o.data, Shape{in[1], in[2], in[3]});
  auto set = data.test ? data.test : data.train;
  ET_REQUIRE(set->sample_shape() == Shape({in[1], in[2], in[3]}),
             "data samples are {} but the model takes {}: use data of the model's input size",
             set->sample_shape().str(), Shape({in[1], in[2], in[3]}).str());
  ET_REQUIRE(static_cast<int64_t>(set->class_names().size()) <= model.graph.num_classes(),
             "the data has {} classes but the model only {} outputs", set->class_names().size(),
             model.graph.num_classes());
  Progress bar("eval", (set->size() + o.batch - 1) / o.batch);
  EvalResult r = evaluate(
      model, set, o.batch,
      [&](int64_t done, int64_t, double, double acc) { bar.update(done, fmt::format("acc {:.4f}", acc)); },
      o.backend);
  bar.finish();
  if (!o.dump.empty()) dump_sample(model, set, o.dump_count, o.backend, o.dump);
  fmt::print("{}: {} on {} samples: accuracy {:.2f} %, loss {:.4f} ({:.1f} s, {:.0f} img/s)\n", o.checkpoint,
             model.info.arch, r.samples, 100.0 * r.accuracy, r.loss, r.seconds,
             static_cast<double>(r.samples) / r.seconds);
  write_json(o.json, {{"command", "eval"}, {"checkpoint", o.checkpoint}, {"model", model.info.arch},
                      {"samples", r.samples}, {"accuracy", r.accuracy}, {"loss", r.loss}, {"seconds", r.seconds}});
  return 0;
}

}  // namespace

Action add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  app.add_option("--checkpoint", o->checkpoint, "checkpoint to evaluate")->capture_default_str();
  add_data_options(app, o->data);
  app.add_option("--batch", o->batch, "batch size")->capture_default_str();
  app.add_option("--json", o->json, "write a machine-readable report here");
  app.add_option("--backend", o->backend, "kernels: auto (fastest available), onednn, ref")->capture_default_str();
  app.add_option("--dump", o->dump, "write the first --dump-count inputs (normalised), labels and logits to this "
                 "tensor file (for checking an exported model elsewhere)");
  app.add_option("--dump-count", o->dump_count, "samples in --dump")->capture_default_str();
  return [o] { return run_eval(*o); };
}

}  // namespace edgetrain::cli
