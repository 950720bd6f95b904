// edgetrain train: (pre-)train or fine-tune a model, evaluate it after each epoch, save a checkpoint.
#include <fmt/format.h>

#include <filesystem>

#include <chrono>

#include <map>
#include <optional>

#include "common.hpp"
#include "core/check.hpp"
#include "edgetrain/edgetrain.hpp"
#include "environment.hpp"
#include "io/atomic_file.hpp"
#include "model_spec.hpp"
#include "train/rss.hpp"
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
  std::string precision = "f32";
  PrecisionScheduleOptions precision_schedule;  // --precision muppet
};

// The settings `--resume` restores besides the session's own (which the checkpoint carries).
std::map<std::string, std::string> run_metadata(const TrainOptions& o) {
  return {{"epochs", std::to_string(o.epochs)},
          {"schedule", o.schedule},
          {"warmup_epochs", fmt::format("{}", o.warmup_epochs)},
          {"step_epochs", fmt::format("{}", o.step_epochs)},
          {"gamma", fmt::format("{}", o.gamma)},
          {"crop_padding", std::to_string(o.crop_padding)},
          {"flip", o.flip ? "1" : "0"},
          {"seed", std::to_string(o.seed)},
          {"data", o.data.spec},
          {"classes", o.data.classes}};
}

void restore_run(TrainOptions& o, const std::map<std::string, std::string>& m, const std::string& path) {
  try {
    o.schedule = m.at("schedule");
    o.warmup_epochs = std::stod(m.at("warmup_epochs"));
    o.step_epochs = std::stod(m.at("step_epochs"));
    o.gamma = std::stod(m.at("gamma"));
    o.crop_padding = std::stoi(m.at("crop_padding"));
    o.flip = m.at("flip") == "1";
    o.seed = std::stoull(m.at("seed"));
    o.data.spec = m.at("data");
    o.data.classes = m.at("classes");
  } catch (const std::exception&) {
    fail("{}: checkpoint was not written by `edgetrain train` (no run settings to resume with)", path);
  }
}

// Where the checkpoint goes: --out, else the resumed file, else named after the model.
std::string checkpoint_path(const TrainOptions& o) {
  if (!o.out.empty()) return o.out;
  if (!o.resume.empty()) return o.resume;
  if (!o.model.checkpoint.empty()) return "finetuned.ckpt";
  return (is_onnx_file(o.model.arch) ? std::filesystem::path(o.model.arch).stem().string() : o.model.arch) + ".ckpt";
}

TrainingOptions training_options(const TrainOptions& o, int64_t iters_per_epoch) {
  TrainingOptions t;
  t.batch = o.batch;
  t.optimizer.kind = parse_optimizer(o.optimizer);
  t.optimizer.lr = o.lr;
  t.optimizer.momentum = o.momentum;
  t.optimizer.nesterov = o.nesterov;
  t.optimizer.weight_decay = o.weight_decay;
  t.schedule = ScheduleOptions::over_epochs(parse_schedule(o.schedule), o.epochs, iters_per_epoch, o.warmup_epochs,
                                            o.step_epochs, o.gamma);
  t.trainable = Trainable::parse(o.trainable);
  t.freeze_bn = o.freeze_bn;
  t.seed = o.seed;
  t.engine = engine_options(o.backend, o.precision);
  t.precision_schedule = o.precision_schedule;
  if (!o.memory_budget.empty()) t.memory_budget = parse_bytes(o.memory_budget);
  return t;
}

// A fresh run: the model (zoo, checkpoint or ONNX file) with the data's class names and, unless the
// file carries its own, the data's normalisation.
TrainingSession new_session(const TrainOptions& o, const Datasets& data, int64_t classes) {
  Model model = open_api_model(o.model, classes, Shape(data.train.sample_shape()), o.seed);
  if (o.model.checkpoint.empty()) {
    model.set_class_names(data.train.class_names());
    if (model.mean().empty()) {
      std::vector<float> mean, std;
      data.train.statistics(mean, std);
      model.set_normalization(std::move(mean), std::move(std));
    }
  }
  ET_REQUIRE(model.num_classes() >= classes,
             "the model has {} outputs but the data has {} classes (pass --num-classes or --classes)",
             model.num_classes(), classes);
  return TrainingSession(model, training_options(o, data.train.size() / o.batch));
}

// The progress bars and per-epoch lines of a fit, and what the summary and the JSON report need.
struct FitReporter {
  FitReporter(const TrainOptions& options, const Datasets& datasets, std::size_t rss)
      : o(options), data(datasets), rss_before(rss) {}
  const TrainOptions& o;
  const Datasets& data;
  std::size_t rss_before = 0;
  std::optional<Progress> bar, eval_bar;
  std::size_t measured_peak = 0;
  nlohmann::json epochs = nlohmann::json::array();
  std::optional<Evaluation> last_eval;

  void attach(FitOptions& fit) {
    const int64_t iters = data.train.size() / o.batch;
    const int64_t eval_batch = fit.eval_batch;
    fit.on_step = [this, iters, eval_batch](const StepProgress& p) {
      if (p.step == 1) bar.emplace(fmt::format("epoch {}/{}", p.epoch, o.epochs), iters);
      bar->update(p.step, fmt::format("loss {:.4f} acc {:.4f}", p.loss, p.accuracy));
      if (p.step == p.steps) {
        bar->finish();
        if (measured_peak == 0) measured_peak = peak_rss_bytes() - std::min(peak_rss_bytes(), rss_before);
        if (data.test) eval_bar.emplace("  eval", (data.test->size() + eval_batch - 1) / eval_batch);
      }
      return true;
    };
    fit.on_eval_progress = [this](int64_t done, int64_t) { eval_bar->update(done, ""); };
    fit.on_epoch = [this](const EpochReport& r) { return epoch_done(r); };
  }

  // The muppet schedule's decision, printed when it estimated or switched, and into the epoch's JSON.
  static void report_decision(const PrecisionDecision& d, nlohmann::json& ej) {
    ej["precision_decision"] = {{"estimated", d.estimated},         {"diversity", d.diversity},
                                {"max_diversity", d.max_diversity}, {"threshold", d.threshold},
                                {"violations", d.violations},       {"next", to_string(d.next)}};
    if (d.estimated)
      fmt::print(
          "  precision: gradient diversity {:.4g} (max {:.4g}, ratio {:.3f} vs threshold {:.3f}), {} violation(s)\n",
          d.diversity, d.max_diversity, d.diversity > 0 ? d.max_diversity / d.diversity : 0.0, d.threshold,
          d.violations);
    if (d.next != d.trained_in)
      fmt::print("  precision: {} -> {} from epoch {}\n", to_string(d.trained_in), to_string(d.next), d.epoch + 1);
  }

  bool epoch_done(const EpochReport& r) {
    if (eval_bar) eval_bar->finish();
    const double rate = static_cast<double>(r.samples) / r.seconds;
    nlohmann::json ej = {{"epoch", r.epoch},     {"train_loss", r.train_loss}, {"train_accuracy", r.train_accuracy},
                         {"seconds", r.seconds}, {"images_per_second", rate},  {"precision", to_string(r.precision)}};
    std::string line = fmt::format("epoch {}/{}: train loss {:.4f} acc {:.4f}, {:.1f} s ({:.0f} img/s)", r.epoch,
                                   o.epochs, r.train_loss, r.train_accuracy, r.seconds, rate);
    if (o.precision != "f32") line += fmt::format(" [{}]", to_string(r.precision));
    if (r.test) {
      last_eval = r.test;
      line += fmt::format(" | test loss {:.4f} acc {:.4f}", r.test->loss, r.test->accuracy);
      ej["test_loss"] = r.test->loss;
      ej["test_accuracy"] = r.test->accuracy;
    }
    fmt::print("{}\n", line);
    if (r.precision_decision) report_decision(*r.precision_decision, ej);
    std::fflush(stdout);
    epochs.push_back(ej);
    return true;
  }
};

void print_summary(const TrainOptions& o, const Model& model, const PlanSummary& plan, const FitResult& result,
                   const FitReporter& rep, double total_seconds, const std::string& out) {
  const std::size_t planned = plan.memory.total;
  const double train_seconds = result.train_seconds;
  fmt::print("\nsummary\n");
  fmt::print("  model           {} — {} parameters, {:.1f} MFLOP forward per image\n", model.arch(),
             model.parameter_count(),
             2.0 * static_cast<double>(plan.forward_macs) / static_cast<double>(o.batch) / 1e6);
  if (rep.last_eval)
    fmt::print("  test accuracy   {:.2f} % ({} samples)\n", 100.0 * rep.last_eval->accuracy, rep.last_eval->samples);
  fmt::print("  training        {} epochs, {:.1f} s ({:.0f} img/s); total {:.1f} s\n", result.epochs.size(),
             train_seconds, result.samples ? static_cast<double>(result.samples) / train_seconds : 0.0, total_seconds);
  fmt::print("  memory          planned peak {}, measured peak {} (RSS growth while training, {:+.1f} %)\n",
             format_bytes(planned), format_bytes(rep.measured_peak),
             planned ? 100.0 * (static_cast<double>(rep.measured_peak) - static_cast<double>(planned)) /
                           static_cast<double>(planned)
                     : 0.0);
  if (o.backend != "ref" && o.backend != "native" && rep.measured_peak > planned + planned / 20)
    fmt::print(
        "                  (the excess is oneDNN's JIT code and runtime state, which no plan holds; "
        "with --backend native or ref the measured peak matches the plan)\n");
  fmt::print("  checkpoint      {}\n", out);
}

nlohmann::json report_json(const Model& model, const PlanSummary& plan, const FitResult& result, const FitReporter& rep,
                           double total_seconds, const std::string& out) {
  nlohmann::json report = {{"command", "train"},
                           {"model", model.arch()},
                           {"parameters", model.parameter_count()},
                           {"classes", model.num_classes()},
                           {"epochs", rep.epochs},
                           {"plan", plan_json(plan)},
                           {"planned_peak_bytes", plan.memory.total},
                           {"measured_peak_bytes", rep.measured_peak},
                           {"train_seconds", result.train_seconds},
                           {"total_seconds", total_seconds},
                           {"checkpoint", out}};
  if (rep.last_eval) report["test_accuracy"] = rep.last_eval->accuracy;
  return report;
}

int run_train(TrainOptions o) {
  auto t_start = std::chrono::steady_clock::now();
  std::optional<TrainingSession> session;
  if (!o.resume.empty()) {
    session = TrainingSession::resume(o.resume);
    restore_run(o, session->metadata(), o.resume);
    ET_REQUIRE(session->epochs_done() < o.epochs,
               "{}: already trained for {} epochs; pass --epochs greater than that to continue", o.resume,
               session->epochs_done());
  }
  const std::string out = checkpoint_path(o);
  io::check_writable(out);  // fail now, not after an epoch of training

  // Data first: its memory is not the training step's.
  // Image folders are resized to the model's input: --input, else the resumed model's, else the
  // architecture's own (with --checkpoint, pass --input if it differs from the architecture's).
  const Shape folder_size = !o.model.input.empty() ? parse_chw(o.model.input)
                            : session              ? Shape(session->model().input_chw())
                                                   : model_input(o.model, Shape{});
  Datasets data = open_datasets(o.data, folder_size);
  const int64_t classes = static_cast<int64_t>(data.train.class_names().size());

  // Decoding the data (gzip, image files) freed its temporaries: give them back to the system before
  // the training memory is planned next to what stays.
  release_free_heap();
  // Memory baseline: everything from here on is the model and its training step.
  FitReporter rep(o, data, current_rss_bytes());
  reset_peak_rss();

  ET_REQUIRE(data.train.size() >= o.batch || session, "the training data has {} samples, fewer than one batch of {}",
             data.train.size(), o.batch);
  if (!session) {
    session.emplace(new_session(o, data, classes));
  } else if (std::to_string(o.epochs) != session->metadata().at("epochs")) {
    // A longer (or shorter) run than planned: the schedule spans the new length.
    session->set_schedule(ScheduleOptions::over_epochs(parse_schedule(o.schedule), o.epochs,
                                                       data.train.size() / session->options().batch, o.warmup_epochs,
                                                       o.step_epochs, o.gamma));
  }
  const TrainingOptions& t = session->options();
  o.batch = t.batch;
  const Model& model = session->model();
  const PlanSummary plan = session->plan();
  fmt::print(
      "edgetrain train: {} ({} classes, input {}), {} training / {} test samples, batch {}, {} {} lr {}, "
      "trainable {}\n",
      model.arch(), model.num_classes(),
      shape_text({1, model.input_chw()[0], model.input_chw()[1], model.input_chw()[2]}), data.train.size(),
      data.test ? data.test->size() : 0, o.batch, to_string(t.optimizer.kind), o.schedule, t.optimizer.lr,
      t.trainable.str());
  print_plan(plan);

  FitOptions fit;
  fit.epochs = o.epochs;
  fit.stop_after = o.stop_after;
  fit.test = data.test;
  fit.augment.crop_padding = o.crop_padding;
  fit.augment.horizontal_flip = o.flip;
  fit.data_seed = o.seed;
  fit.checkpoint = out;
  fit.checkpoint_metadata = run_metadata(o);
  rep.attach(fit);
  const FitResult result = session->fit(data.train, fit);

  const double total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  print_summary(o, model, plan, result, rep, total_seconds, out);
  write_json(o.json, report_json(model, plan, result, rep, total_seconds, out));
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
  app.add_option("--trainable", o->trainable, "all | classifier | last:K | bias | names:GLOB[,GLOB]")
      ->capture_default_str();
  app.add_flag("--freeze-bn", o->freeze_bn, "keep BatchNorm statistics fixed (normalise with running stats)");
  app.add_option("--crop-padding", o->crop_padding, "random crop with this zero padding")->capture_default_str();
  app.add_flag("--flip", o->flip, "random horizontal flips");
  app.add_option("--seed", o->seed, "seed for initialisation, shuffling, augmentation, dropout")->capture_default_str();
  app.add_option("--memory-budget", o->memory_budget, "fail at compile time if the step needs more (e.g. 256M)");
  app.add_option("--out", o->out, "checkpoint path (default: <model>.ckpt, or the resumed file)");
  app.add_option("--resume", o->resume, "continue an interrupted run from its checkpoint");
  app.add_option("--json", o->json, "write a machine-readable report here");
  add_precision_option(app, o->precision);
  app.add_option("--precision-resolution", o->precision_schedule.resolution,
                 "muppet: epochs pooled into one gradient-diversity estimate (MuPPET: 3)")
      ->capture_default_str();
  app.add_option("--precision-violations", o->precision_schedule.violations_to_switch,
                 "muppet: threshold violations that move to the next precision (MuPPET: 2)")
      ->capture_default_str();
  app.add_option("--backend", o->backend,
                 "kernels: auto (fastest available), onednn, native (edgetrain's own loops), ref (reference loops)")
      ->capture_default_str();
  return [o] { return run_train(*o); };
}

}  // namespace edgetrain::cli
