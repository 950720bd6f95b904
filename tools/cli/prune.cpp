// edgetrain prune: the channel groups of a model (--explain); structured pruning to a level (fraction
// of parameters removed) by a ranking criterion; and the data-aware pipeline — fine-tune on the
// observed data, rank on it, prune, retrain, evaluate — at one level or searching the highest level
// that keeps the accuracy, with a report of what changed.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "common.hpp"
#include "environment.hpp"
#include "core/check.hpp"
#include "io/atomic_file.hpp"
#include "io/model_io.hpp"
#include "model_spec.hpp"
#include "data/loader.hpp"
#include "optim/optimizer_config.hpp"
#include "prune/data_criteria.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "runtime/compile.hpp"
#include "runtime/executor.hpp"
#include "train/predict.hpp"
#include "train/trainer.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct PruneOptions {
  ModelSpec model;
  bool explain = false;
  double level = 0.5;
  std::string criterion = "l1";
  uint64_t seed = 1;
  std::string out;
  std::string json;
  DataSpec data;           // what the data-aware criteria observe
  int64_t batch = 32;
  int64_t rank_batches = 8;
  std::string backend = "auto";
  // The pipeline (METHODS §1): fine-tune on the observed data, rank on it, prune, retrain, evaluate.
  int finetune_epochs = 0;
  int retrain_epochs = 0;
  double finetune_lr = 0.001, retrain_lr = 0.01;
  bool search = false;  // binary search of the highest level (5 %..95 %) that keeps the accuracy
};

// The data the device observes. A model with more outputs than the subset has classes keeps the
// original label indices (the classifier stays full-width); one trained on the subset alone gets 0..k-1.
DataSplits observed_data(const PruneOptions& o, const Network& model) {
  const Shape in = model.graph.input_shape();
  DataSpec spec = o.data;
  if (!spec.classes.empty()) {
    const auto subset = static_cast<int64_t>(std::count(spec.classes.begin(), spec.classes.end(), ',') + 1);
    spec.keep_labels = spec.keep_labels || model.graph.num_classes() > subset;
  }
  return open_data(spec, Shape{in[1], in[2], in[3]});
}

// Scores for the criterion: from the weights (l1, random) or from batches of the data (activation,
// apoz, taylor), normalised as the model expects.
std::vector<std::vector<double>> scores_for(const PruneOptions& o, const Network& model, const prune::ChannelGroups& groups,
                                            const DataSplits& data) {
  prune::DataCriterion dc;
  if (!prune::parse_data_criterion(o.criterion, dc))
    return prune::channel_scores(model, groups, prune::parse_criterion(o.criterion), o.seed);
  const Shape in = model.graph.input_shape();
  ET_REQUIRE(data.train->sample_shape() == Shape({in[1], in[2], in[3]}),
             "data samples are {} but the model takes {}", data.train->sample_shape().str(),
             Shape({in[1], in[2], in[3]}).str());
  data::LoaderOptions lo;
  lo.batch = std::min(o.batch, data.train->size());
  lo.drop_last = true;
  lo.seed = o.seed;
  lo.augment.mean = model.info.mean;
  lo.augment.std = model.info.std;
  data::BatchLoader loader(data.train, lo);
  loader.start_epoch(0);
  int64_t left = o.rank_batches;
  return prune::data_channel_scores(model, groups, dc, lo.batch, [&](float* images, int32_t* labels) {
    return left-- > 0 && loader.next(images, labels) == lo.batch;
  }, o.backend);
}

int64_t forward_macs_of(const Graph& g) {
  int64_t macs = 0;
  for (const Node& n : g.nodes) {
    std::vector<Shape> src;
    for (int v : n.inputs) src.push_back(g.values[v].shape);
    macs += forward_macs(n.attrs, src, g.values[n.output].shape);
  }
  return macs;
}

// SGD with momentum 0.9 and weight decay 1e-4, step decay x0.1 at two thirds (METHODS §1).
void train_for(Network& model, const DataSplits& data, const PruneOptions& o, int epochs, double lr, const char* what) {
  if (epochs <= 0) return;
  data::LoaderOptions lo;
  lo.batch = o.batch;
  lo.drop_last = true;
  lo.seed = o.seed;
  lo.augment.mean = model.info.mean;
  lo.augment.std = model.info.std;
  data::BatchLoader loader(data.train, lo);
  TrainConfig tc;
  tc.batch = o.batch;
  tc.optimizer.kind = optim::OptimizerKind::sgd;
  tc.optimizer.lr = lr;
  tc.optimizer.momentum = 0.9;
  tc.optimizer.weight_decay = 1e-4;
  tc.schedule.kind = optim::ScheduleKind::step;
  tc.schedule.step_size_iters = std::max<int64_t>(1, 2 * epochs * loader.batches_per_epoch() / 3);
  tc.schedule.total_iters = epochs * loader.batches_per_epoch();
  tc.seed = o.seed;
  tc.backend = o.backend;
  Trainer trainer(model, tc);
  Progress bar(what, epochs * loader.batches_per_epoch());
  for (int e = 0; e < epochs; ++e)
    trainer.train_epoch(loader, e, [&](int64_t done, int64_t, double loss, double acc) {
      bar.update(e * loader.batches_per_epoch() + done, fmt::format("loss {:.4f} acc {:.4f}", loss, acc));
    });
  bar.finish();
}

double accuracy(const Network& model, const DataSplits& data, const PruneOptions& o) {
  return evaluate(model, data.test ? data.test : data.train, 256, {}, o.backend).accuracy;
}

// What a device cares about for one model: parameters, FLOPs, measured inference latency (batch 1,
// median of 20), and the planned training memory at the pipeline's batch.
nlohmann::json profile(const Network& model, const PruneOptions& o) {
  const Shape in = model.graph.input_shape();
  std::vector<float> x(static_cast<size_t>(in.numel_from(1)), 0.1f);
  const int32_t label = 0;
  CompileOptions inference;
  inference.batch = 1;
  inference.training = false;
  inference.backend = o.backend;
  const Plan infer = compile(model.graph, with_environment(inference));
  Executor exec(infer, model.params, nullptr);
  std::vector<double> ms;
  for (int k = 0; k < 23; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    exec.run(x.data(), &label);
    if (k >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  CompileOptions c;
  c.batch = o.batch;
  c.backend = o.backend;
  c.optimizer.momentum = 0.9;
  const Plan plan = compile(model.graph, with_environment(c));
  return {{"params", model.params.param_count()}, {"macs", forward_macs_of(model.graph)},
          {"inference_ms", ms[ms.size() / 2]}, {"training_bytes", plan.breakdown.total()}};
}

// Prunes the fine-tuned model afresh to `level` (ranked on the data), retrains, evaluates.
struct Trial {
  double level = 0, accuracy = 0;
  Network model;
};
Trial prune_and_retrain(const Network& tuned, const prune::ChannelGroups& groups,
                        const std::vector<std::vector<double>>& scores, const DataSplits& data, const PruneOptions& o,
                        double level) {
  const prune::PruningChoice choice = prune::choose_channels(tuned, groups, scores, level);
  Trial t{choice.level(), 0.0, prune::apply_pruning(tuned, groups, choice.keep)};
  train_for(t.model, data, o, o.retrain_epochs, o.retrain_lr, fmt::format("retrain {:.0f}%", 100 * level).c_str());
  t.accuracy = accuracy(t.model, data, o);
  fmt::print("  level {:5.1f} %: accuracy {:.2f} %\n", 100.0 * t.level, 100.0 * t.accuracy);
  return t;
}

int run_pipeline(const PruneOptions& o, Network model) {
  const DataSplits data = observed_data(o, model);
  ET_REQUIRE(static_cast<int64_t>(data.train->class_names().size()) <= model.graph.num_classes(),
             "the data has {} classes but the model only {} outputs", data.train->class_names().size(),
             model.graph.num_classes());
  const nlohmann::json before = profile(model, o);
  const double unadapted = accuracy(model, data, o);
  fmt::print("{}: accuracy on the observed data {:.2f} % before adapting\n", model.info.arch, 100.0 * unadapted);
  train_for(model, data, o, o.finetune_epochs, o.finetune_lr, "fine-tune");
  const double target = accuracy(model, data, o);
  fmt::print("  fine-tuned: {:.2f} % (the accuracy to keep)\n", 100.0 * target);
  const prune::ChannelGroups groups = prune::analyse_channels(model.graph);
  const auto scores = scores_for(o, model, groups, data);  // ranked once, on the fine-tuned model
  nlohmann::json trials = nlohmann::json::array();
  std::optional<Trial> best;
  if (o.search) {  // binary search over 5 %..95 % in 5 % steps, from 50 %
    int lo = 1, hi = 19;
    while (lo <= hi) {
      const int mid = (lo + hi) / 2;
      Trial t = prune_and_retrain(model, groups, scores, data, o, 0.05 * mid);
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
    best = prune_and_retrain(model, groups, scores, data, o, o.level);
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
             human_bytes(before["training_bytes"].get<size_t>()), human_bytes(after["training_bytes"].get<size_t>()));
  fmt::print("  level {:.1f} % of the parameters removed by {}\n", 100.0 * best->level, o.criterion);
  if (!o.out.empty()) {
    io::save_checkpoint(o.out, best->model, nullptr, {{"pruned_from", model.info.arch}, {"level", best->level},
                                                       {"criterion", o.criterion}});
    fmt::print("  checkpoint      {}\n", o.out);
  }
  write_json(o.json, {{"command", "prune"}, {"model", model.info.arch}, {"criterion", o.criterion},
                      {"accuracy_unadapted", unadapted}, {"accuracy_finetuned", target},
                      {"accuracy_pruned", best->accuracy}, {"level", best->level}, {"trials", trials},
                      {"original", before}, {"pruned", after}});
  return 0;
}

// A training checkpoint's optimizer state (momentum, Adam moments, step), sliced like the weights,
// and its training metadata (with the pruning added), so that `train --resume` continues the run
// on the pruned model. None when the source is not a resumable training checkpoint.
std::optional<OptimizerState> sliced_optimizer_state(const PruneOptions& o, const Network& model, const Network& pruned,
                                                     const prune::ChannelGroups& groups,
                                                     const std::vector<std::vector<bool>>& keep, nlohmann::json& training) {
  if (o.model.checkpoint.empty() || o.model.num_classes > 0) return std::nullopt;  // a new head has no state
  io::LoadedCheckpoint ck = io::load_checkpoint(o.model.checkpoint);
  if (!ck.training.contains("optimizer") || !ck.training.contains("epochs_done")) return std::nullopt;
  std::vector<bool> trainable(model.graph.params.size(), false);
  bool any = false;
  for (size_t p = 0; p < trainable.size(); ++p) {
    const std::string name = model.graph.params[p].name + "#opt0";
    trainable[p] = std::any_of(ck.raw.tensors.begin(), ck.raw.tensors.end(), [&](const auto& t) { return t.name == name; });
    any |= trainable[p];
  }
  if (!any) return std::nullopt;  // plain SGD keeps no state
  optim::OptimizerConfig config;
  config.kind = optim::parse_optimizer(ck.training.at("optimizer").get<std::string>());
  config.momentum = ck.training.value("momentum", 0.9);
  OptimizerState state(model.graph, trainable, config);
  io::restore_optimizer(ck.raw, model.graph, state);
  nlohmann::json merged = ck.training;
  merged.update(training);
  training = std::move(merged);
  return prune::prune_optimizer_state(model.graph, state, pruned, groups, keep);
}

int run_prune(const PruneOptions& o) {
  Network model = open_model(o.model, 0, Shape{}, o.seed);
  const prune::ChannelGroups groups = prune::analyse_channels(model.graph);
  if (o.explain) {
    fmt::print("{}: {} channel groups\n{}", model.info.arch, groups.groups.size(), prune::describe(model.graph, groups));
    if (o.out.empty()) return 0;
  }
  if (!o.out.empty()) io::check_writable(o.out);
  if (o.search || o.finetune_epochs > 0 || o.retrain_epochs > 0) return run_pipeline(o, std::move(model));
  prune::DataCriterion data_criterion;
  const bool needs_data = prune::parse_data_criterion(o.criterion, data_criterion);
  const auto scores = scores_for(o, model, groups, needs_data ? observed_data(o, model) : DataSplits{});
  const prune::PruningChoice choice = prune::choose_channels(model, groups, scores, o.level);
  Network pruned = prune::apply_pruning(model, groups, choice.keep);
  const int64_t macs_before = forward_macs_of(model.graph), macs_after = forward_macs_of(pruned.graph);
  fmt::print("{}: pruned {:.1f} % of the parameters by {} (asked {:.1f} %): {} -> {} parameters, "
             "{:.1f} -> {:.1f} MFLOP forward per image\n",
             model.info.arch, 100.0 * choice.level(), o.criterion, 100.0 * o.level, choice.params_before,
             choice.params_after, 2e-6 * static_cast<double>(macs_before), 2e-6 * static_cast<double>(macs_after));
  if (!o.out.empty()) {
    nlohmann::json training = {{"pruned_from", model.info.arch}, {"level", choice.level()}, {"criterion", o.criterion}};
    const std::optional<OptimizerState> state = sliced_optimizer_state(o, model, pruned, groups, choice.keep, training);
    io::save_checkpoint(o.out, pruned, state ? &*state : nullptr, training);
    fmt::print("  checkpoint      {}{}\n", o.out, state ? " (optimizer state sliced: `edgetrain train --resume` continues)" : "");
  }
  write_json(o.json, {{"command", "prune"}, {"model", model.info.arch}, {"criterion", o.criterion},
                      {"level_asked", o.level}, {"level", choice.level()}, {"params_before", choice.params_before},
                      {"params_after", choice.params_after}, {"macs_before", macs_before}, {"macs_after", macs_after}});
  return 0;
}

}  // namespace

Action add_prune(CLI::App& app) {
  auto o = std::make_shared<PruneOptions>();
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
  app.add_option("--backend", o->backend, "kernels: auto, onednn, ref")->capture_default_str();
  app.add_option("--finetune-epochs", o->finetune_epochs, "fine-tune on --data first (pipeline)")->capture_default_str();
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
