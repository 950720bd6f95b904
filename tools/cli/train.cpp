// edgetrain train: (pre-)train or fine-tune a model, evaluate it after each epoch, save a checkpoint.
#include <fmt/format.h>

#include <filesystem>

#include <chrono>

#include "common.hpp"
#include "core/check.hpp"
#include "data/loader.hpp"
#include "io/atomic_file.hpp"
#include "io/model_io.hpp"
#include "model_spec.hpp"
#include "train_memory.hpp"
#include "train/rss.hpp"
#include "train/trainer.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct TrainOptions {
  ModelSpec model;
  DataSpec data;
  int epochs = 4;
  int stop_after = 0;  // stop after this many epochs of the planned run (0: run to the end)
  int64_t batch = 64;
  std::string optimizer = "adam";
  double lr = 0;  // 0: 1e-3 for adam/adamw, 0.01 for sgd
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0;
  std::string schedule = "cosine";
  double warmup_epochs = 0;
  double step_epochs = 0;
  double gamma = 0.1;
  std::string trainable = "all";
  bool freeze_bn = false;
  int crop_padding = 0;
  bool flip = false;
  uint64_t seed = 1;
  std::string memory_budget;
  std::string out;
  std::string resume;
  std::string json;
  std::string backend = "auto";
};

// Per-channel mean and std of up to 2000 evenly spaced training samples.
void input_statistics(const data::Dataset& d, std::vector<float>& mean, std::vector<float>& std) {
  Shape s = d.sample_shape();
  const int64_t c = s[0], hw = s[1] * s[2], n = std::min<int64_t>(d.size(), 2000);
  std::vector<double> sum(static_cast<size_t>(c)), sq(static_cast<size_t>(c));
  std::vector<float> x(static_cast<size_t>(s.numel()));
  for (int64_t i = 0; i < n; ++i) {
    d.read(i * d.size() / n, x.data());
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t j = 0; j < hw; ++j) {
        double v = x[static_cast<size_t>(ch * hw + j)];
        sum[static_cast<size_t>(ch)] += v;
        sq[static_cast<size_t>(ch)] += v * v;
      }
  }
  mean.clear();
  std.clear();
  for (int64_t ch = 0; ch < c; ++ch) {
    double cnt = static_cast<double>(n * hw);
    double m = sum[static_cast<size_t>(ch)] / cnt;
    double var = std::max(sq[static_cast<size_t>(ch)] / cnt - m * m, 1e-12);
    mean.push_back(static_cast<float>(m));
    std.push_back(static_cast<float>(std::sqrt(var)));
  }
}

nlohmann::json training_meta(const TrainOptions& o, int epochs_done) {
  return {{"epochs_done", epochs_done}, {"epochs", o.epochs},       {"batch", o.batch},
          {"optimizer", o.optimizer},   {"lr", o.lr},               {"momentum", o.momentum},
          {"nesterov", o.nesterov},     {"weight_decay", o.weight_decay}, {"schedule", o.schedule},
          {"warmup_epochs", o.warmup_epochs}, {"step_epochs", o.step_epochs}, {"gamma", o.gamma},
          {"trainable", o.trainable},   {"freeze_bn", o.freeze_bn}, {"crop_padding", o.crop_padding},
          {"flip", o.flip},             {"seed", o.seed},           {"data", o.data.spec},
          {"classes", o.data.classes}};
}

void restore_options(TrainOptions& o, const nlohmann::json& t) {
  int epochs = o.epochs;
  o.batch = t.at("batch");
  o.optimizer = t.at("optimizer");
  o.lr = t.at("lr");
  o.momentum = t.at("momentum");
  o.nesterov = t.at("nesterov");
  o.weight_decay = t.at("weight_decay");
  o.schedule = t.at("schedule");
  o.warmup_epochs = t.at("warmup_epochs");
  o.step_epochs = t.at("step_epochs");
  o.gamma = t.at("gamma");
  o.trainable = t.at("trainable");
  o.freeze_bn = t.at("freeze_bn");
  o.crop_padding = t.at("crop_padding");
  o.flip = t.at("flip");
  o.seed = t.at("seed");
  o.data.spec = t.at("data");
  o.data.classes = t.at("classes");
  o.epochs = epochs;
}

int run_train(TrainOptions o) {
  auto t_start = std::chrono::steady_clock::now();
  int start_epoch = 0;
  io::LoadedCheckpoint resumed;
  if (!o.resume.empty()) {
    resumed = io::load_checkpoint(o.resume);
    try {
      restore_options(o, resumed.training);
    } catch (const nlohmann::json::exception&) {
      fail("{}: checkpoint has no training state to resume from (use --checkpoint to fine-tune it instead)", o.resume);
    }
    start_epoch = resumed.training.at("epochs_done").get<int>();
    ET_REQUIRE(start_epoch < o.epochs, "{}: already trained for {} epochs; pass --epochs greater than that to continue",
               o.resume, start_epoch);
  }

  const std::string out = !o.out.empty() ? o.out
                          : !o.resume.empty() ? o.resume
                          : (!o.model.checkpoint.empty() ? "finetuned"
                             : is_onnx_file(o.model.arch) ? std::filesystem::path(o.model.arch).stem().string()
                                                          : o.model.arch) + ".ckpt";
  io::check_writable(out);  // fail now, not after an epoch of training

  // Data first: its memory is not the training step's.
  // Image folders are resized to the model's input: --input, else the resumed model's, else the
  // architecture's own (with --checkpoint, pass --input if it differs from the architecture's).
  const Shape folder_size = [&] {
    if (!o.model.input.empty()) return parse_chw(o.model.input);
    if (!o.resume.empty()) {
      const Shape in = resumed.model.graph.input_shape();  // [N, C, H, W]
      return Shape{in[1], in[2], in[3]};
    }
    return model_input(o.model, Shape{});
  }();
  DataSplits data = open_data(o.data, folder_size);
  const int64_t classes = static_cast<int64_t>(data.train->class_names().size());

  // Decoding the data (gzip, image files) freed its temporaries: give them back to the system before
  // the training memory is planned next to what stays.
  release_free_heap();
  // Memory baseline: everything from here on is the model and its training step.
  const std::size_t rss_before = current_rss_bytes();
  reset_peak_rss();

  Model model;
  if (!o.resume.empty()) model = std::move(resumed.model);
  else model = open_model(o.model, classes, data.train->sample_shape(), o.seed);
  if (o.resume.empty() && o.model.checkpoint.empty()) {
    model.info.class_names = data.train->class_names();
    // A file that carries its normalisation (an edgetrain export) keeps it; else the data's own.
    if (model.info.mean.empty()) input_statistics(*data.train, model.info.mean, model.info.std);
  }
  ET_REQUIRE(model.graph.num_classes() >= classes,
             "the model has {} outputs but the data has {} classes (pass --num-classes or --classes)",
             model.graph.num_classes(), classes);

  data::LoaderOptions lo;
  lo.batch = o.batch;
  lo.drop_last = true;
  lo.seed = o.seed;
  lo.augment.mean = model.info.mean;
  lo.augment.std = model.info.std;
  lo.augment.crop_padding = o.crop_padding;
  lo.augment.horizontal_flip = o.flip;
  ET_REQUIRE(data.train->size() >= o.batch, "the training data has {} samples, fewer than one batch of {}",
             data.train->size(), o.batch);
  data::BatchLoader loader(data.train, lo);

  TrainConfig tc;
  tc.batch = o.batch;
  tc.optimizer.kind = optim::parse_optimizer(o.optimizer);
  tc.optimizer.lr = o.lr > 0 ? o.lr : (tc.optimizer.kind == optim::OptimizerKind::sgd ? 0.01 : 1e-3);
  o.lr = tc.optimizer.lr;
  tc.optimizer.momentum = o.momentum;
  tc.optimizer.nesterov = o.nesterov;
  tc.optimizer.weight_decay = o.weight_decay;
  const int64_t iters = loader.batches_per_epoch();
  tc.schedule.kind = optim::parse_schedule(o.schedule);
  tc.schedule.warmup_iters = static_cast<int64_t>(o.warmup_epochs * static_cast<double>(iters));
  tc.schedule.total_iters = std::max<int64_t>(int64_t{o.epochs} * iters, tc.schedule.warmup_iters + 1);
  tc.schedule.step_size_iters = o.step_epochs > 0 ? static_cast<int64_t>(o.step_epochs * static_cast<double>(iters))
                                                  : std::max<int64_t>(1, tc.schedule.total_iters / 3);
  tc.schedule.gamma = o.gamma;
  tc.trainable = parse_trainable(o.trainable);
  tc.freeze_bn_stats = o.freeze_bn;
  tc.seed = o.seed;
  tc.backend = o.backend;
  if (!o.memory_budget.empty()) tc.memory_budget = parse_bytes(o.memory_budget);
  Trainer trainer(model, tc);
  if (!o.resume.empty()) io::restore_optimizer(resumed.raw, model.graph, trainer.optimizer_state());

  const Plan& plan = trainer.plan();
  fmt::print("edgetrain train: {} ({} classes, input {}), {} training / {} test samples, batch {}, {} {} lr {}, "
             "trainable {}\n",
             model.info.arch, model.graph.num_classes(), model.graph.input_shape().str(), data.train->size(),
             data.test ? data.test->size() : 0, o.batch, o.optimizer, o.schedule, tc.optimizer.lr, o.trainable);
  print_plan(plan);

  nlohmann::json epochs = nlohmann::json::array();
  std::size_t measured_peak = 0;
  EvalResult last_eval;
  double train_seconds = 0;
  int64_t trained = 0;
  const int end_epoch = o.stop_after > 0 ? std::min(o.epochs, start_epoch + o.stop_after) : o.epochs;
  for (int e = start_epoch; e < end_epoch; ++e) {
    Progress bar(fmt::format("epoch {}/{}", e + 1, o.epochs), iters);
    EpochResult r = trainer.train_epoch(loader, e, [&](int64_t done, int64_t, double loss, double acc) {
      bar.update(done, fmt::format("loss {:.4f} acc {:.4f}", loss, acc));
    });
    bar.finish();
    train_seconds += r.seconds;
    trained += r.samples;
    if (measured_peak == 0) measured_peak = peak_rss_bytes() - std::min(peak_rss_bytes(), rss_before);
    nlohmann::json ej = {{"epoch", e + 1}, {"train_loss", r.loss}, {"train_accuracy", r.accuracy},
                         {"seconds", r.seconds}, {"images_per_second", static_cast<double>(r.samples) / r.seconds}};
    std::string line = fmt::format("epoch {}/{}: train loss {:.4f} acc {:.4f}, {:.1f} s ({:.0f} img/s)", e + 1,
                                   o.epochs, r.loss, r.accuracy, r.seconds, static_cast<double>(r.samples) / r.seconds);
    if (data.test) {
      Progress eb("  eval", (data.test->size() + kEvalBatch - 1) / kEvalBatch);
      last_eval = evaluate(
          model, data.test, kEvalBatch,
          [&](int64_t done, int64_t, double, double acc) { eb.update(done, fmt::format("acc {:.4f}", acc)); },
          o.backend);
      eb.finish();
      line += fmt::format(" | test loss {:.4f} acc {:.4f}", last_eval.loss, last_eval.accuracy);
      ej["test_loss"] = last_eval.loss;
      ej["test_accuracy"] = last_eval.accuracy;
    }
    io::save_checkpoint(out, model, &trainer.optimizer_state(), training_meta(o, e + 1));
    fmt::print("{}\n", line);
    std::fflush(stdout);
    epochs.push_back(ej);
  }

  const double total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  const std::size_t planned = plan.breakdown.total();
  fmt::print("\nsummary\n");
  fmt::print("  model           {} — {} parameters, {:.1f} MFLOP forward per image\n", model.info.arch,
             model.params.param_count(), 2.0 * static_cast<double>(plan.forward_macs) / static_cast<double>(o.batch) / 1e6);
  if (data.test) fmt::print("  test accuracy   {:.2f} % ({} samples)\n", 100.0 * last_eval.accuracy, last_eval.samples);
  fmt::print("  training        {} epochs, {:.1f} s ({:.0f} img/s); total {:.1f} s\n", end_epoch - start_epoch,
             train_seconds, trained ? static_cast<double>(trained) / train_seconds : 0.0, total_seconds);
  fmt::print("  memory          planned peak {}, measured peak {} (RSS growth while training, {:+.1f} %)\n",
             human_bytes(planned), human_bytes(measured_peak),
             planned ? 100.0 * (static_cast<double>(measured_peak) - static_cast<double>(planned)) / static_cast<double>(planned) : 0.0);
  if (o.backend != "ref" && measured_peak > planned + planned / 20)
    fmt::print("                  (the excess is oneDNN's JIT code and runtime state, which no plan holds; "
               "with --backend ref the measured peak matches the plan)\n");
  fmt::print("  checkpoint      {}\n", out);

  nlohmann::json report = {{"command", "train"},
                           {"model", model.info.arch},
                           {"parameters", model.params.param_count()},
                           {"classes", model.graph.num_classes()},
                           {"epochs", epochs},
                           {"plan", plan_json(plan)},
                           {"planned_peak_bytes", planned},
                           {"measured_peak_bytes", measured_peak},
                           {"train_seconds", train_seconds},
                           {"total_seconds", total_seconds},
                           {"checkpoint", out}};
  if (data.test) report["test_accuracy"] = last_eval.accuracy;
  write_json(o.json, report);
  return 0;
}

}  // namespace

Action add_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  add_model_options(app, o->model);
  add_data_options(app, o->data);
  app.add_option("--epochs", o->epochs, "epochs to train (total, when resuming)")->capture_default_str();
  app.add_option("--stop-after", o->stop_after,
                 "stop after this many epochs; the schedule still spans --epochs (continue with --resume)");
  app.add_option("--batch", o->batch, "batch size")->capture_default_str();
  app.add_option("--optimizer", o->optimizer, "sgd | adam | adamw")->capture_default_str();
  app.add_option("--lr", o->lr, "base learning rate (default 1e-3 for adam/adamw, 0.01 for sgd)");
  app.add_option("--momentum", o->momentum, "SGD momentum")->capture_default_str();
  app.add_flag("--nesterov", o->nesterov, "Nesterov momentum");
  app.add_option("--weight-decay", o->weight_decay, "weight decay")->capture_default_str();
  app.add_option("--schedule", o->schedule, "constant | step | cosine")->capture_default_str();
  app.add_option("--warmup-epochs", o->warmup_epochs, "linear warm-up length in epochs")->capture_default_str();
  app.add_option("--step-epochs", o->step_epochs, "step schedule period in epochs (default: a third of the run)");
  app.add_option("--gamma", o->gamma, "step schedule factor")->capture_default_str();
  app.add_option("--trainable", o->trainable, "all | classifier | last:K | bias | names:GLOB[,GLOB]")->capture_default_str();
  app.add_flag("--freeze-bn", o->freeze_bn, "keep BatchNorm statistics fixed (normalise with running stats)");
  app.add_option("--crop-padding", o->crop_padding, "random crop with this zero padding")->capture_default_str();
  app.add_flag("--flip", o->flip, "random horizontal flips");
  app.add_option("--seed", o->seed, "seed for initialisation, shuffling, augmentation, dropout")->capture_default_str();
  app.add_option("--memory-budget", o->memory_budget, "fail at compile time if the step needs more (e.g. 256M)");
  app.add_option("--out", o->out, "checkpoint path (default: <model>.ckpt, or the resumed file)");
  app.add_option("--resume", o->resume, "continue an interrupted run from its checkpoint");
  app.add_option("--json", o->json, "write a machine-readable report here");
  app.add_option("--backend", o->backend, "kernels: auto (fastest available), onednn, ref")->capture_default_str();
  return [o] { return run_train(*o); };
}

}  // namespace edgetrain::cli
