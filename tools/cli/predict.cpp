// edgetrain predict: what a training configuration will cost on this device, before it runs — memory
// from the compiled plan plus the device profile's process memory, step and epoch time from the
// profile's latency model — and the decisions built on it: the largest batch within a memory
// budget, and a ranked list of configurations (batch x trainable x pruning level) within a memory
// and a time budget.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "bench_report.hpp"
#include "common.hpp"
#include "core/check.hpp"
#include "predict/predictor.hpp"
#include "io/profile_file.hpp"
#include "prune/channel_groups.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "step_config.hpp"
#include "train_memory.hpp"
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
  predict::Prediction p;
  double epoch_s = 0;
};

double epoch_seconds(const predict::Prediction& p, int64_t batch, int64_t samples) {
  return p.total_ms / 1e3 * std::ceil(static_cast<double>(samples) / static_cast<double>(batch));
}

// The plan for the configuration within `budget` (0: none): see predict::plan_within. (`train
// --memory-budget` bounds the plan alone, so there Winograd is dropped only when the plan is over.)
Plan plan_within(const Network& m, const StepConfig& s, int64_t batch, const predict::DeviceProfile& prof,
                 std::size_t budget) {
  return predict::plan_within(m.graph, compile_options(s, batch), prof, budget);
}

predict::Prediction predict_config(const Network& m, const StepConfig& s, int64_t batch, const predict::DeviceProfile& prof,
                                   std::size_t budget) {
  const Plan plan = plan_within(m, s, batch, prof, budget);
  return predict::predict(plan, prof, predict::batch_input_bytes(plan));
}

nlohmann::json prediction_json(const predict::Prediction& p, int64_t batch, int64_t samples) {
  return {{"batch", batch},
          {"plan_bytes", p.plan_bytes},
          {"process_bytes", p.process_bytes},
          {"input_bytes", p.input_bytes},
          {"total_bytes", p.total_bytes},
          {"steps_ms", p.steps_ms},
          {"overhead_ms", p.overhead_ms},
          {"step_ms", p.total_ms},
          {"images_per_s", 1e3 * static_cast<double>(batch) / p.total_ms},
          {"epoch_s", epoch_seconds(p, batch, samples)}};
}

// The largest batch whose predicted total fits `budget` (0 if not even batch 1 does).
int64_t largest_batch(const Network& m, const StepConfig& s, const predict::DeviceProfile& prof, std::size_t budget) {
  auto fits = [&](int64_t b) { return predict_config(m, s, b, prof, budget).total_bytes <= budget; };
  if (!fits(1)) return 0;
  int64_t lo = 1, hi = 2;
  while (hi <= 65536 && fits(hi)) lo = hi, hi *= 2;
  if (hi > 65536) return lo;
  while (hi - lo > 1) {
    const int64_t mid = (lo + hi) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
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

std::vector<Candidate> search_configs(const Network& model, const PredictOptions& o, const predict::DeviceProfile& prof,
                                      std::size_t memory_budget) {
  const prune::ChannelGroups groups = prune::analyse_channels(model.graph);
  const auto scores = prune::channel_scores(model, groups, prune::Criterion::l1, 1);
  std::vector<Candidate> out;
  for (const std::string& level_text : split(o.levels)) {
    double level = 0;
    try {
      level = std::stod(level_text) / 100.0;
    } catch (const std::exception&) {
      fail("--levels: '{}' is not a percentage", level_text);
    }
    ET_REQUIRE(level >= 0 && level < 1, "--levels: {} is outside 0..99 %", level_text);
    Network pruned;
    double reached = 0;
    if (level > 0) {
      const prune::PruningChoice choice = prune::choose_channels(model, groups, scores, level);
      pruned = prune::apply_pruning(model, groups, choice.keep);
      reached = choice.level();
    }
    const Network& m = level > 0 ? pruned : model;
    for (const std::string& trainable : split(o.trainables)) {
      StepConfig s = o.step;
      s.trainable = trainable;
      for (const std::string& b : split(o.batches)) {
        Candidate c{reached, trainable, to_int(b, "--batches"), {}, 0};
        c.p = predict_config(m, s, c.batch, prof, memory_budget);
        c.epoch_s = epoch_seconds(c.p, c.batch, o.epoch_samples);
        if (memory_budget > 0 && c.p.total_bytes > memory_budget) continue;
        if (o.time_budget > 0 && c.epoch_s > o.time_budget) continue;
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
    return a.epoch_s < b.epoch_s;
  });
  return out;
}

// Predictions for plans measured by `edgetrain bench --kernels`, next to what was measured.
int predict_measured(const PredictOptions& o, const predict::DeviceProfile& prof) {
  nlohmann::json list = nlohmann::json::array();
  double time_err = 0, mem_err = 0;
  fmt::print("{:>10} {:>10} {:>7}   {:>10} {:>10} {:>7}   {}\n", "step ms", "predicted", "error", "peak RSS", "predicted",
             "error", "report");
  for (const std::string& path : o.from_bench) {
    const BenchReport r = read_bench_report(path);
    const predict::Prediction p = predict::predict(r.plan, prof);
    const double te = p.total_ms / r.step_ms - 1, me = static_cast<double>(p.total_bytes) / static_cast<double>(r.peak_rss_bytes) - 1;
    time_err += std::abs(te);
    mem_err += std::abs(me);
    fmt::print("{:>10.2f} {:>10.2f} {:>+6.1f}%   {:>10} {:>10} {:>+6.1f}%   {}\n", r.step_ms, p.total_ms, 100 * te,
               human_bytes(r.peak_rss_bytes), human_bytes(p.total_bytes), 100 * me, path);
    list.push_back({{"report", path}, {"measured_step_ms", r.step_ms}, {"predicted_step_ms", p.total_ms},
                    {"measured_peak_rss_bytes", r.peak_rss_bytes}, {"predicted_bytes", p.total_bytes}});
  }
  const double n = static_cast<double>(o.from_bench.size());
  fmt::print("accuracy (1 - mean relative error): step time {:.2f} %, memory {:.2f} %\n", 100 * (1 - time_err / n),
             100 * (1 - mem_err / n));
  write_json(o.json, {{"profile", o.profile}, {"runs", list}, {"latency_accuracy", 1 - time_err / n},
                      {"memory_accuracy", 1 - mem_err / n}});
  return 0;
}

int run_predict(const PredictOptions& o) {
  const predict::DeviceProfile prof = io::load_profile_file(o.profile);
  if (!o.from_bench.empty()) return predict_measured(o, prof);
  DataSplits data;
  if (o.with_data) data = open_data(o.data, model_input(o.step.model, Shape{}));
  Network model = o.with_data ? open_model(o.step.model, static_cast<int64_t>(data.train->class_names().size()),
                                         data.train->sample_shape(), 1)
                            : open_model(o.step.model, 0, Shape{}, 1);
  const std::size_t budget = o.memory_budget.empty() ? 0 : parse_bytes(o.memory_budget);
  ET_REQUIRE(o.epoch_samples > 0, "--epoch-samples must be positive");
  nlohmann::json j = {{"model", model.info.arch}, {"input", model.graph.input_shape().str()},
                      {"profile", o.profile}, {"device", prof.device}, {"threads", prof.threads}};

  const Plan plan = plan_within(model, o.step, o.step.batch, prof, budget);
  const predict::Prediction p = predict::predict(plan, prof, predict::batch_input_bytes(plan));
  fmt::print("{} (input {}), batch {}, trainable {}, optimizer {} on {} ({} threads)\n", model.info.arch,
             model.graph.input_shape().str(), o.step.batch, o.step.trainable, o.step.optimizer, prof.device, prof.threads);
  fmt::print("  memory   {} = plan {} (weights {}, optimizer state {}, arena {}) + process {} + input {}\n",
             human_bytes(p.total_bytes), human_bytes(p.plan_bytes), human_bytes(plan.breakdown.weights),
             human_bytes(plan.breakdown.optimizer_state), human_bytes(plan.breakdown.arena),
             human_bytes(p.process_bytes), human_bytes(p.input_bytes));
  fmt::print("  time     {:.2f} ms per step ({:.1f} images/s), {:.1f} s per epoch of {} samples\n", p.total_ms,
             1e3 * static_cast<double>(o.step.batch) / p.total_ms, epoch_seconds(p, o.step.batch, o.epoch_samples),
             o.epoch_samples);
  j["trainable"] = o.step.trainable;
  j["prediction"] = prediction_json(p, o.step.batch, o.epoch_samples);
  if (o.with_data) {  // what `edgetrain train` adds: data, loader, and evaluation or checkpointing
    std::optional<Plan> eval_plan;
    if (data.test) {
      CompileOptions e = compile_options(o.step, std::min<int64_t>(kEvalBatch, data.test->size()));
      e.training = false;
      e.blocked_params = false;  // as the train verb's evaluation compiles it (InferenceSession's rule)
      eval_plan = compile(model.graph, e);
    }
    const TrainProcessMemory t = train_process_memory(plan, eval_plan ? &*eval_plan : nullptr, data);
    const std::size_t eval_kernels = static_cast<std::size_t>(std::max(0.0,
        prof.memory.per_onednn_kernel_bytes * (predict::onednn_distinct_kernels(plan, eval_plan ? &*eval_plan : nullptr) -
                                               predict::onednn_distinct_kernels(plan))));
    const std::size_t total = p.total_bytes - p.input_bytes + t.peak_extra() + eval_kernels;
    fmt::print("  train    {} for `edgetrain train` on this data: + data set {} + loader {} + the larger of "
               "evaluation {} and checkpointing {}\n", human_bytes(total), human_bytes(t.data), human_bytes(t.loader),
               human_bytes(t.evaluation + eval_kernels), human_bytes(t.checkpoint));
    const int64_t per_epoch = data.train->size() / o.step.batch * o.step.batch;
    fmt::print("           {:.1f} s per epoch of {} samples (training steps only)\n",
               epoch_seconds(p, o.step.batch, per_epoch), per_epoch);
    j["train_process"] = {{"total_bytes", total}, {"data_bytes", t.data}, {"loader_bytes", t.loader},
                          {"evaluation_bytes", t.evaluation + eval_kernels}, {"checkpoint_bytes", t.checkpoint},
                          {"epoch_s", epoch_seconds(p, o.step.batch, per_epoch)}};
  }

  if (budget > 0) {
    const int64_t b = largest_batch(model, o.step, prof, budget);
    if (b == 0) fmt::print("  budget   {}: not even batch 1 fits\n", human_bytes(budget));
    else fmt::print("  budget   {}: largest batch that fits {}\n", human_bytes(budget), b);
    j["memory_budget"] = budget;
    j["largest_batch"] = b;
  }
  if (o.search) {
    const std::vector<Candidate> found = search_configs(model, o, prof, budget);
    fmt::print("\n{} configurations within the budgets (memory {}, epoch {}); the first {}:\n", found.size(),
               budget ? human_bytes(budget) : "any", o.time_budget > 0 ? fmt::format("{:.0f} s", o.time_budget) : "any",
               std::min<size_t>(found.size(), static_cast<size_t>(o.top)));
    fmt::print("  {:>6}  {:<12} {:>6}  {:>10}  {:>10}  {:>10}\n", "pruned", "trainable", "batch", "memory", "step ms", "epoch s");
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < found.size(); ++i) {
      const Candidate& c = found[i];
      if (static_cast<int>(i) < o.top)
        fmt::print("  {:5.1f}%  {:<12} {:>6}  {:>10}  {:>10.2f}  {:>10.1f}\n", 100 * c.level, c.trainable, c.batch,
                   human_bytes(c.p.total_bytes), c.p.total_ms, c.epoch_s);
      nlohmann::json e = prediction_json(c.p, c.batch, o.epoch_samples);
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
