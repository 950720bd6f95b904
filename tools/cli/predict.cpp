// edgetrain predict: what a training configuration will cost on this device, before it runs — memory
// from the compiled plan plus the device profile's process memory, step and epoch time from the
// profile's latency model — and the decisions built on it: the largest batch within a memory
// budget, and a ranked list of configurations (batch x trainable x pruning level) within a memory
// and a time budget. A client of the public API (Predictor), except --from-bench.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "common.hpp"
#include "core/check.hpp"
#include "edgetrain/edgetrain.hpp"
#include "predict_measured.hpp"
#include "step_config.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct PredictOptions {
  StepConfig step;
  std::string profile = "edgetrain-device.json";
  int64_t epoch_samples = 60000;
  std::string memory_budget;
  double time_budget = 0;          // seconds per epoch, 0 = none
  bool search = false;
  std::string batches = "8,16,32,64,128";
  std::string trainables = "all,last:4,last:2,classifier";
  std::string levels = "0,30,50,70";
  int top = 15;
  DataSpec data;                         // with --data: the whole `edgetrain train` process
  bool with_data = false;
  std::vector<std::string> from_bench;  // predict measured runs (bench --kernels reports) instead
  std::string json;
};

struct Candidate {
  double level = 0;  // pruning level reached
  std::string trainable;
  int64_t batch = 0;
  CostEstimate cost;
};

nlohmann::json prediction_json(const CostEstimate& c, int64_t batch) {
  return {{"batch", batch},
          {"plan_bytes", c.plan.total},
          {"process_bytes", c.process_bytes},
          {"input_bytes", c.input_bytes},
          {"total_bytes", c.total_bytes},
          {"steps_ms", c.kernel_ms},
          {"overhead_ms", c.overhead_ms},
          {"step_ms", c.step_ms},
          {"images_per_s", 1e3 * static_cast<double>(batch) / c.step_ms},
          {"epoch_s", c.epoch_seconds}};
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int64_t to_int(const std::string& s, const char* what) {
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used == s.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  fail("{}: '{}' is not a positive whole number", what, s);
}

double to_level(const std::string& text) {
  double level = 0;
  try {
    level = std::stod(text) / 100.0;
  } catch (const std::exception&) {
    fail("--levels: '{}' is not a percentage", text);
  }
  ET_REQUIRE(level >= 0 && level < 1, "--levels: {} is outside 0..99 %", text);
  return level;
}

std::vector<Candidate> search_configs(const Model& model, const PredictOptions& o, const Predictor& predictor,
                                      std::size_t memory_budget) {
  const ChannelRanking ranking = ChannelRanking::rank(model, PruneOptions{});  // weight L1
  std::vector<Candidate> out;
  for (const std::string& level_text : split(o.levels)) {
    const double level = to_level(level_text);
    std::optional<Model> pruned;
    if (level > 0) pruned.emplace(model.pruned(ranking, level));
    const Model& m = pruned ? *pruned : model;
    const double reached = level_between(model, m);
    for (const std::string& trainable : split(o.trainables)) {
      StepConfig s = o.step;
      s.trainable = trainable;
      for (const std::string& b : split(o.batches)) {
        const int64_t batch = to_int(b, "--batches");
        Candidate c{reached, trainable, batch,
                    predictor.estimate(m, training_options(s, batch), o.epoch_samples, memory_budget)};
        if (memory_budget > 0 && c.cost.total_bytes > memory_budget) continue;
        if (o.time_budget > 0 && c.cost.epoch_seconds > o.time_budget) continue;
        out.push_back(std::move(c));
      }
    }
  }
  // Least pruned first (it keeps the most accuracy), then the most layers trained... as listed by
  // the user (--trainables order), then the fastest epoch.
  const std::vector<std::string> order = split(o.trainables);
  auto rank_of = [&](const std::string& t) { return std::find(order.begin(), order.end(), t) - order.begin(); };
  std::stable_sort(out.begin(), out.end(), [&](const Candidate& a, const Candidate& b) {
    if (std::abs(a.level - b.level) > 1e-9) return a.level < b.level;
    if (a.trainable != b.trainable) return rank_of(a.trainable) < rank_of(b.trainable);
    return a.cost.epoch_seconds < b.cost.epoch_seconds;
  });
  return out;
}

// What `edgetrain train` adds to the step on this data: data sets, loader, and evaluation or checkpointing.
void predict_training_run(const PredictOptions& o, const Predictor& predictor, const Model& model,
                          const Datasets& data, std::size_t budget, nlohmann::json& j) {
  FitOptions fit;  // as the train verb fits (evaluation at the default batch)
  fit.test = data.test;
  const FitCostEstimate f = predictor.estimate_fit(model, training_options(o.step, o.step.batch), data.train, fit, budget);
  fmt::print("  train    {} for `edgetrain train` on this data: + data set {} + loader {} + the larger of "
             "evaluation {} and checkpointing {}\n", format_bytes(f.total_bytes), format_bytes(f.data_bytes),
             format_bytes(f.loader_bytes), format_bytes(f.evaluation_bytes), format_bytes(f.checkpoint_bytes));
  fmt::print("           {:.1f} s per epoch of {} samples (training steps only)\n", f.epoch_seconds, f.epoch_samples);
  j["train_process"] = {{"total_bytes", f.total_bytes}, {"data_bytes", f.data_bytes}, {"loader_bytes", f.loader_bytes},
                        {"evaluation_bytes", f.evaluation_bytes}, {"checkpoint_bytes", f.checkpoint_bytes},
                        {"epoch_s", f.epoch_seconds}};
}

int run_predict(const PredictOptions& o) {
  if (!o.from_bench.empty()) return predict_measured(o.profile, o.from_bench, o.json);
  const Predictor predictor = Predictor::load(o.profile);
  std::optional<Datasets> data;
  if (o.with_data) data.emplace(open_datasets(o.data, model_input(o.step.model, Shape{})));
  const Model model = data ? open_api_model(o.step.model, static_cast<int64_t>(data->train.class_names().size()),
                                            Shape(data->train.sample_shape()), 1)
                           : open_api_model(o.step.model, 0, Shape{}, 1);
  const std::size_t budget = o.memory_budget.empty() ? 0 : parse_bytes(o.memory_budget);
  ET_REQUIRE(o.epoch_samples > 0, "--epoch-samples must be positive");
  const std::vector<int64_t> chw = model.input_chw();
  const std::string input = shape_text({1, chw[0], chw[1], chw[2]});
  nlohmann::json j = {{"model", model.arch()}, {"input", input}, {"profile", o.profile},
                      {"device", predictor.device()}, {"threads", predictor.threads()}};

  const CostEstimate p = predictor.estimate(model, training_options(o.step, o.step.batch), o.epoch_samples, budget);
  fmt::print("{} (input {}), batch {}, trainable {}, optimizer {} on {} ({} threads)\n", model.arch(), input,
             o.step.batch, o.step.trainable, o.step.optimizer, predictor.device(), predictor.threads());
  fmt::print("  memory   {} = plan {} (weights {}, optimizer state {}, arena {}) + process {} + input {}\n",
             format_bytes(p.total_bytes), format_bytes(p.plan.total), format_bytes(p.plan.weights),
             format_bytes(p.plan.optimizer_state), format_bytes(p.plan.arena), format_bytes(p.process_bytes),
             format_bytes(p.input_bytes));
  fmt::print("  time     {:.2f} ms per step ({:.1f} images/s), {:.1f} s per epoch of {} samples\n", p.step_ms,
             1e3 * static_cast<double>(o.step.batch) / p.step_ms, p.epoch_seconds, o.epoch_samples);
  j["trainable"] = o.step.trainable;
  j["prediction"] = prediction_json(p, o.step.batch);
  if (data) predict_training_run(o, predictor, model, *data, budget, j);

  if (budget > 0) {
    const int64_t b = predictor.largest_batch(model, training_options(o.step, 1), budget, 65536);
    if (b == 0) fmt::print("  budget   {}: not even batch 1 fits\n", format_bytes(budget));
    else fmt::print("  budget   {}: largest batch that fits {}\n", format_bytes(budget), b);
    j["memory_budget"] = budget;
    j["largest_batch"] = b;
  }
  if (o.search) {
    const std::vector<Candidate> found = search_configs(model, o, predictor, budget);
    fmt::print("\n{} configurations within the budgets (memory {}, epoch {}); the first {}:\n", found.size(),
               budget ? format_bytes(budget) : "any", o.time_budget > 0 ? fmt::format("{:.0f} s", o.time_budget) : "any",
               std::min<size_t>(found.size(), static_cast<size_t>(o.top)));
    fmt::print("  {:>6}  {:<12} {:>6}  {:>10}  {:>10}  {:>10}\n", "pruned", "trainable", "batch", "memory", "step ms", "epoch s");
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < found.size(); ++i) {
      const Candidate& c = found[i];
      if (static_cast<int>(i) < o.top)
        fmt::print("  {:5.1f}%  {:<12} {:>6}  {:>10}  {:>10.2f}  {:>10.1f}\n", 100 * c.level, c.trainable, c.batch,
                   format_bytes(c.cost.total_bytes), c.cost.step_ms, c.cost.epoch_seconds);
      nlohmann::json e = prediction_json(c.cost, c.batch);
      e["level"] = c.level;
      e["trainable"] = c.trainable;
      list.push_back(std::move(e));
    }
    j["configurations"] = std::move(list);
  }
  write_json(o.json, j);
  return 0;
}

}  // namespace

Action add_predict(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  add_step_options(app, o->step);
  app.add_option("--profile", o->profile, "device profile from `edgetrain calibrate`")->capture_default_str();
  app.add_option("--epoch-samples", o->epoch_samples, "samples per epoch (epoch time)")->capture_default_str();
  app.add_option("--memory-budget", o->memory_budget, "e.g. 512M: the largest batch that fits; with --search, a filter");
  app.add_option("--time-budget", o->time_budget, "with --search: seconds per epoch at most");
  app.add_flag("--search", o->search, "rank configurations (batch x trainable x pruning level) within the budgets");
  app.add_option("--batches", o->batches, "with --search: batch sizes")->capture_default_str();
  app.add_option("--trainables", o->trainables, "with --search: trainable specs, most preferred first")->capture_default_str();
  app.add_option("--levels", o->levels, "with --search: pruning levels in % (weight-L1 structured pruning)")->capture_default_str();
  app.add_option("--top", o->top, "with --search: configurations to print")->capture_default_str();
  add_data_options(app, o->data);
  app.add_option("--from-bench", o->from_bench, "predict these measured runs (`edgetrain bench --kernels --json` reports) and compare");
  app.add_option("--json", o->json, "write a machine-readable report here");
  CLI::Option* data = app.get_option("--data");
  return [o, data] {
    o->with_data = data->count() > 0;  // only an explicit --data describes a training run's data
    return run_predict(*o);
  };
}

}  // namespace edgetrain::cli
