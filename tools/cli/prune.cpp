// edgetrain prune: the channel groups of a model (--explain); structured pruning to a level (fraction
// of parameters removed) by a ranking criterion; and the data-aware pipeline — fine-tune on the
// observed data, rank on it, prune, retrain, evaluate — at one level or searching the highest level
// that keeps the accuracy, with a report of what changed. A client of the public API.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "common.hpp"
#include "core/check.hpp"
#include "edgetrain/edgetrain.hpp"
#include "environment.hpp"
#include "io/atomic_file.hpp"
#include "model_spec.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct PruneVerbOptions {
  ModelSpec model;
  bool explain = false;
  double level = 0.5;
  std::string criterion = "l1";
  uint64_t seed = 1;
  std::string out;
  std::string json;
  DataSpec data;  // what the data-aware criteria observe
  int64_t batch = 32;
  int64_t rank_batches = 8;
  std::string backend = "auto";
  // The pipeline (METHODS §1): fine-tune on the observed data, rank on it, prune, retrain, evaluate.
  int finetune_epochs = 0;
  int retrain_epochs = 0;
  double finetune_lr = 0.001, retrain_lr = 0.01;
  bool search = false;  // binary search of the highest level (5 %..95 %) that keeps the accuracy
};

PruneOptions prune_options(const PruneVerbOptions& o) {
  PruneOptions p;
  p.level = o.level;
  p.criterion = parse_prune_criterion(o.criterion);
  p.seed = o.seed;
  p.rank_batches = o.rank_batches;
  p.rank_batch = o.batch;
  p.backend = engine_options(o.backend).backend;
  return p;
}

// The data the device observes. A model with more outputs than the subset has classes keeps the
// original label indices (the classifier stays full-width); one trained on the subset alone gets 0..k-1.
Datasets observed_data(const PruneVerbOptions& o, const Model& model) {
  DataSpec spec = o.data;
  if (!spec.classes.empty()) {
    const auto subset = static_cast<int64_t>(std::count(spec.classes.begin(), spec.classes.end(), ',') + 1);
    spec.keep_labels = spec.keep_labels || model.num_classes() > subset;
  }
  return open_datasets(spec, Shape(model.input_chw()));
}

ChannelRanking rank(const PruneVerbOptions& o, const Model& model, const Datasets* data) {
  const PruneOptions p = prune_options(o);
  if (!needs_data(p.criterion)) return ChannelRanking::rank(model, p);
  ET_REQUIRE(data != nullptr, "the {} criterion measures data: pass --data", o.criterion);
  return ChannelRanking::rank(model, p, data->train);
}

// SGD with momentum 0.9 and weight decay 1e-4, step decay x0.1 at two thirds (METHODS §1).
void train_for(Model& model, const Datasets& data, const PruneVerbOptions& o, int epochs, double lr,
               const std::string& what) {
  if (epochs <= 0) return;
  const int64_t steps_per_epoch = data.train.size() / o.batch;
  TrainingOptions t;
  t.batch = o.batch;
  t.optimizer.kind = Optimizer::sgd;
  t.optimizer.lr = lr;
  t.optimizer.momentum = 0.9;
  t.optimizer.weight_decay = 1e-4;
  t.schedule.kind = Schedule::step;
  t.schedule.step_size = std::max<int64_t>(1, 2 * epochs * steps_per_epoch / 3);
  t.schedule.total_steps = epochs * steps_per_epoch;
  t.seed = o.seed;
  t.engine = engine_options(o.backend);
  TrainingSession session(model, t);
  FitOptions fit;
  fit.epochs = epochs;
  fit.data_seed = o.seed;
  Progress bar(what, epochs * steps_per_epoch);
  fit.on_step = [&](const StepProgress& p) {
    bar.update((p.epoch - 1) * steps_per_epoch + p.step, fmt::format("loss {:.4f} acc {:.4f}", p.loss, p.accuracy));
    return true;
  };
  session.fit(data.train, fit);
  bar.finish();
}

double accuracy(const Model& model, const Datasets& data, const PruneVerbOptions& o) {
  EvalOptions e;
  e.engine = engine_options(o.backend);
  return model.evaluate(data.test ? *data.test : data.train, e).accuracy;
}

// What a device cares about for one model: parameters, FLOPs, measured inference latency (batch 1,
// median of 20), and the planned training memory at the pipeline's batch.
nlohmann::json profile(const Model& model, const PruneVerbOptions& o) {
  const std::vector<int64_t> chw = model.input_chw();
  const std::vector<float> x(static_cast<size_t>(chw[0] * chw[1] * chw[2]), 0.1f);
  InferenceOptions io;
  io.engine = engine_options(o.backend);
  InferenceSession infer(model, io);
  std::vector<double> ms;
  for (int k = 0; k < 23; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    infer.run(x.data(), 1);
    if (k >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  TrainingOptions t;
  t.batch = o.batch;
  t.optimizer.kind = Optimizer::sgd;
  t.engine = engine_options(o.backend);
  return {{"params", model.parameter_count()},
          {"macs", model.describe().macs},
          {"inference_ms", ms[ms.size() / 2]},
          {"training_bytes", TrainingSession::preview(model, t).memory.total}};
}

// Prunes the fine-tuned model afresh to `level` (by the ranking made on the data), retrains, evaluates.
struct Trial {
  double level = 0, accuracy = 0;
  Model model;
};
Trial prune_and_retrain(const Model& tuned, const ChannelRanking& ranking, const Datasets& data,
                        const PruneVerbOptions& o, double level) {
  Model pruned = tuned.pruned(ranking, level);
  Trial t{level_between(tuned, pruned), 0.0, std::move(pruned)};
  train_for(t.model, data, o, o.retrain_epochs, o.retrain_lr, fmt::format("retrain {:.0f}%", 100 * level));
  t.accuracy = accuracy(t.model, data, o);
  fmt::print("  level {:5.1f} %: accuracy {:.2f} %\n", 100.0 * t.level, 100.0 * t.accuracy);
  return t;
}

int run_pipeline(const PruneVerbOptions& o, Model model) {
  const Datasets data = observed_data(o, model);
  ET_REQUIRE(static_cast<int64_t>(data.train.class_names().size()) <= model.num_classes(),
             "the data has {} classes but the model only {} outputs", data.train.class_names().size(),
             model.num_classes());
  ET_REQUIRE(data.train.size() >= o.batch || (o.finetune_epochs == 0 && o.retrain_epochs == 0),
             "the data has {} samples, fewer than one batch of {}", data.train.size(), o.batch);
  const nlohmann::json before = profile(model, o);
  const double unadapted = accuracy(model, data, o);
  fmt::print("{}: accuracy on the observed data {:.2f} % before adapting\n", model.arch(), 100.0 * unadapted);
  train_for(model, data, o, o.finetune_epochs, o.finetune_lr, "fine-tune");
  const double target = accuracy(model, data, o);
  fmt::print("  fine-tuned: {:.2f} % (the accuracy to keep)\n", 100.0 * target);
  const ChannelRanking ranking = rank(o, model, &data);  // ranked once, on the fine-tuned model
  nlohmann::json trials = nlohmann::json::array();
  std::optional<Trial> best;
  if (o.search) {  // binary search over 5 %..95 % in 5 % steps, from 50 %
    int lo = 1, hi = 19;
    while (lo <= hi) {
      const int mid = (lo + hi) / 2;
      Trial t = prune_and_retrain(model, ranking, data, o, 0.05 * mid);
      trials.push_back({{"level", t.level}, {"accuracy", t.accuracy}});
      if (t.accuracy >= target) {
        lo = mid + 1;
        best = std::move(t);
      } else {
        hi = mid - 1;
      }
    }
    ET_REQUIRE(best.has_value(), "no pruning level from 5 % up keeps the fine-tuned accuracy {:.2f} %", 100.0 * target);
  } else {
    best = prune_and_retrain(model, ranking, data, o, o.level);
    trials.push_back({{"level", best->level}, {"accuracy", best->accuracy}});
  }
  const nlohmann::json after = profile(best->model, o);
  fmt::print("\nsummary ({})\n", o.data.classes.empty() ? "all classes" : "classes " + o.data.classes);
  fmt::print("  {:<22} {:>14} {:>14}\n", "", "original", "pruned");
  fmt::print("  {:<22} {:>13.2f}% {:>13.2f}%\n", "accuracy", 100.0 * target, 100.0 * best->accuracy);
  fmt::print("  {:<22} {:>14} {:>14}\n", "parameters", before["params"].get<int64_t>(), after["params"].get<int64_t>());
  fmt::print("  {:<22} {:>14.1f} {:>14.1f}\n", "MFLOP / image", 2e-6 * before["macs"].get<double>(),
             2e-6 * after["macs"].get<double>());
  fmt::print("  {:<22} {:>14.3f} {:>14.3f}\n", "inference ms (batch 1)", before["inference_ms"].get<double>(),
             after["inference_ms"].get<double>());
  fmt::print("  {:<22} {:>14} {:>14}\n", fmt::format("training mem (b{})", o.batch),
             format_bytes(before["training_bytes"].get<size_t>()), format_bytes(after["training_bytes"].get<size_t>()));
  fmt::print("  level {:.1f} % of the parameters removed by {}\n", 100.0 * best->level, o.criterion);
  if (!o.out.empty()) {
    best->model.save(
        o.out, {{"pruned_from", model.arch()}, {"level", fmt::format("{}", best->level)}, {"criterion", o.criterion}});
    fmt::print("  checkpoint      {}\n", o.out);
  }
  write_json(o.json, {{"command", "prune"},
                      {"model", model.arch()},
                      {"criterion", o.criterion},
                      {"accuracy_unadapted", unadapted},
                      {"accuracy_finetuned", target},
                      {"accuracy_pruned", best->accuracy},
                      {"level", best->level},
                      {"trials", trials},
                      {"original", before},
                      {"pruned", after}});
  return 0;
}

// A training checkpoint is pruned inside its session: the optimizer state (momentum, Adam moments)
// is sliced like the weights and `train --resume` continues the run on the pruned model. A new
// classifier (--num-classes) starts a new run instead.
bool prunes_a_run(const PruneVerbOptions& o) {
  return !o.model.checkpoint.empty() && o.model.num_classes == 0 && TrainingSession::can_resume(o.model.checkpoint);
}

int run_prune(const PruneVerbOptions& o) {
  Model model = open_api_model(o.model, 0, Shape{}, o.seed);
  if (o.explain) {
    const std::string groups = model.channel_groups();
    fmt::print("{}: {} channel groups\n{}", model.arch(), std::count(groups.begin(), groups.end(), '\n'), groups);
    if (o.out.empty()) return 0;
  }
  if (!o.out.empty()) io::check_writable(o.out);
  if (o.search || o.finetune_epochs > 0 || o.retrain_epochs > 0) return run_pipeline(o, std::move(model));
  const std::optional<Datasets> data =
      needs_data(parse_prune_criterion(o.criterion)) ? std::optional<Datasets>(observed_data(o, model)) : std::nullopt;
  const ChannelRanking ranking = rank(o, model, data ? &*data : nullptr);
  std::optional<TrainingSession> run;
  if (!o.out.empty() && prunes_a_run(o)) run.emplace(TrainingSession::resume(o.model.checkpoint));
  double level = 0;
  std::optional<Model> pruned_model;
  if (run) {
    level = run->prune(ranking, o.level);
  } else {
    pruned_model.emplace(model.pruned(ranking, o.level));
    level = level_between(model, *pruned_model);
  }
  const Model& pruned = run ? run->model() : *pruned_model;
  const int64_t macs_before = model.describe().macs, macs_after = pruned.describe().macs;
  fmt::print(
      "{}: pruned {:.1f} % of the parameters by {} (asked {:.1f} %): {} -> {} parameters, "
      "{:.1f} -> {:.1f} MFLOP forward per image\n",
      model.arch(), 100.0 * level, o.criterion, 100.0 * o.level, model.parameter_count(), pruned.parameter_count(),
      2e-6 * static_cast<double>(macs_before), 2e-6 * static_cast<double>(macs_after));
  if (!o.out.empty()) {
    std::map<std::string, std::string> metadata = run ? run->metadata() : std::map<std::string, std::string>{};
    metadata["pruned_from"] = model.arch();
    metadata["level"] = fmt::format("{}", level);
    metadata["criterion"] = o.criterion;
    if (run)
      run->save_checkpoint(o.out, metadata);
    else
      pruned.save(o.out, metadata);
    fmt::print("  checkpoint      {}{}\n", o.out,
               run ? " (optimizer state sliced: `edgetrain train --resume` continues)" : "");
  }
  write_json(o.json, {{"command", "prune"},
                      {"model", model.arch()},
                      {"criterion", o.criterion},
                      {"level_asked", o.level},
                      {"level", level},
                      {"params_before", model.parameter_count()},
                      {"params_after", pruned.parameter_count()},
                      {"macs_before", macs_before},
                      {"macs_after", macs_after}});
  return 0;
}

}  // namespace

Action add_prune(CLI::App& app) {
  auto o = std::make_shared<PruneVerbOptions>();
  add_model_options(app, o->model);
  app.add_flag("--explain", o->explain, "print the channel groups found (what must be pruned together)");
  app.add_option("--level", o->level, "fraction of the parameters to remove")->capture_default_str();
  app.add_option("--criterion", o->criterion,
                 "channel ranking: l1 (mean |w| per filter) | random | activation | apoz | taylor (the last three "
                 "measured on --data)")
      ->capture_default_str();
  add_data_options(app, o->data);
  app.add_option("--batch", o->batch, "batch size for the data-aware criteria")->capture_default_str();
  app.add_option("--rank-batches", o->rank_batches, "batches the data-aware criteria observe")->capture_default_str();
  app.add_option("--backend", o->backend, "kernels: auto, onednn, native, ref")->capture_default_str();
  app.add_option("--finetune-epochs", o->finetune_epochs, "fine-tune on --data first (pipeline)")
      ->capture_default_str();
  app.add_option("--retrain-epochs", o->retrain_epochs, "retrain after pruning (pipeline)")->capture_default_str();
  app.add_option("--finetune-lr", o->finetune_lr, "SGD learning rate while fine-tuning")->capture_default_str();
  app.add_option("--retrain-lr", o->retrain_lr, "SGD learning rate after pruning")->capture_default_str();
  app.add_flag("--search", o->search, "find the highest level (5-95 %) that keeps the fine-tuned accuracy");
  app.add_option("--seed", o->seed, "seed (random criterion)")->capture_default_str();
  app.add_option("--out", o->out, "write the pruned model as a checkpoint");
  app.add_option("--json", o->json, "write a machine-readable report here");
  return [o] { return run_prune(*o); };
}

}  // namespace edgetrain::cli
