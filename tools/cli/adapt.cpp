// edgetrain adapt: a deployed model serves a stream of test images whose classes change in phases; the
// Adapter notices which classes it sees, adapts, and follows the drift. Per phase it reports the
// accuracy of the adapter's answers against baselines computed on the same frames (the deployed model
// unadapted, its logits masked to the observed subset, and its logits reweighted by the EM label
// prior), each adaptation's report, serving latency, and a timeline SVG.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "adapt_report.hpp"
#include "common.hpp"
#include "core/check.hpp"
#include "edgetrain/edgetrain.hpp"
#include "environment.hpp"
#include "model_spec.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct AdaptVerbOptions {
  ModelSpec model;
  DataSpec data;
  std::string stream = "0,1:1500;2,3,4:1500;all:1000";
  double labels = 0.1;  // share of frames that come with their label
  uint64_t seed = 1;
  AdapterOptions adapter;
  std::string levels = "0.5,0.3,0";
  std::string trainables = "all,last:3,classifier";
  std::string criterion = "activation";
  double memory_budget_mib = 0;
  double fps = 0;  // frames per second the stream delivers (0: as fast as they are served)
  std::string backend = "auto";
  std::string json, svg;
};

// Frames drawn from a phase's classes (uniformly), `gradual`: mixed with the previous phase's,
// the new ones' share rising linearly over the phase.
struct Phase {
  std::vector<int32_t> classes;
  int64_t frames = 0;
  bool gradual = false;
};

// A class by name, else by index; Error when the data has no such class.
int32_t class_of(const std::string& name, const Dataset& data) {
  const auto& names = data.class_names();
  const auto k = static_cast<int64_t>(names.size());
  auto it = std::find(names.begin(), names.end(), name);
  int64_t c = it != names.end() ? it - names.begin() : -1;
  if (c < 0 && !name.empty() && name.size() <= 9 && std::all_of(name.begin(), name.end(), ::isdigit))
    c = std::stoll(name);
  ET_REQUIRE(c >= 0 && c < k, "--stream: class '{}' is not one of the data's {} classes", name, k);
  return static_cast<int32_t>(c);
}

std::vector<Phase> parse_stream(const std::string& text, const Dataset& data) {
  std::vector<Phase> phases;
  for (std::string part : split_list(text, ';')) {
    Phase p;
    if (part[0] == '~') p.gradual = true, part.erase(0, 1);
    const size_t colon = part.rfind(':');
    ET_REQUIRE(colon != std::string::npos, "--stream: phase '{}' is not CLASSES:FRAMES", part);
    const std::string frames = part.substr(colon + 1), classes = part.substr(0, colon);
    ET_REQUIRE(!frames.empty() && frames.size() <= 12 && std::all_of(frames.begin(), frames.end(), ::isdigit),
               "--stream: '{}' is not a frame count", frames);
    p.frames = std::stoll(frames);
    ET_REQUIRE(p.frames > 0, "--stream: phase '{}' has no frames", part);
    if (classes == "all")
      for (int32_t c = 0; c < static_cast<int32_t>(data.class_names().size()); ++c) p.classes.push_back(c);
    else
      for (const std::string& name : split_list(classes)) p.classes.push_back(class_of(name, data));
    ET_REQUIRE(!p.classes.empty(), "--stream: phase '{}' names no class", part);
    phases.push_back(p);
  }
  ET_REQUIRE(!phases.empty(), "--stream is empty");
  return phases;
}

int32_t argmax_within(const std::vector<float>& logits, const std::vector<int32_t>& allowed) {
  if (allowed.empty()) return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  int32_t best = allowed[0];
  for (int32_t c : allowed)
    if (logits[static_cast<size_t>(c)] > logits[static_cast<size_t>(best)]) best = c;
  return best;
}

// The adapter options the flags give beyond the plain ones.
void complete_adapter_options(AdaptVerbOptions& o) {
  o.adapter.prune_levels.clear();
  for (const std::string& l : split_list(o.levels)) {
    try {
      o.adapter.prune_levels.push_back(std::stod(l));
    } catch (const std::exception&) {
      fail("--levels: '{}' is not a number", l);
    }
  }
  o.adapter.trainable_specs = split_list(o.trainables);
  ET_REQUIRE(!o.adapter.trainable_specs.empty(), "--trainables is empty");
  o.adapter.criterion = parse_prune_criterion(o.criterion);
  o.adapter.memory_budget = static_cast<std::size_t>(o.memory_budget_mib * (1 << 20));
  o.adapter.engine = engine_options(o.backend);
}

// The stream, frame by frame, through the adapter and the baselines (the deployed model's logits:
// as they are, masked to the adapter's subset, reweighted by its EM label prior).
StreamLog serve_stream(Adapter& adapter, InferenceSession& original, const Dataset& set,
                       const std::vector<Phase>& phases, const AdaptVerbOptions& o) {
  const int64_t classes = original.num_classes();
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(classes));
  for (int64_t i = 0; i < set.size(); ++i) by_class.at(static_cast<size_t>(set.label(i))).push_back(i);
  StreamLog log;
  int64_t total = 0;
  for (const Phase& p : phases) {
    log.phases.push_back(fmt::format("{}{}: {} frames", p.gradual ? "~" : "", fmt::join(p.classes, ","), p.frames));
    total += p.frames;
  }
  log.frames.resize(phases.size());
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0, 1);
  const std::vector<int64_t> chw = original.input_chw();
  std::vector<float> frame(static_cast<size_t>(chw[0] * chw[1] * chw[2]));
  std::vector<double> prior;
  Progress bar("adapt", total);
  int64_t t = 0;
  const auto stream_start = std::chrono::steady_clock::now();
  for (size_t ph = 0; ph < phases.size(); ++ph) {
    const Phase& p = phases[ph];
    for (int64_t f = 0; f < p.frames; ++f, ++t) {
      const bool from_previous =
          p.gradual && ph > 0 && unit(rng) > static_cast<double>(f) / static_cast<double>(p.frames);
      const std::vector<int32_t>& pool = from_previous ? phases[ph - 1].classes : p.classes;
      const int32_t c = pool[rng() % pool.size()];
      const auto& samples = by_class[static_cast<size_t>(c)];
      ET_REQUIRE(!samples.empty(), "the data has no image of class {}", c);
      set.read(samples[rng() % samples.size()], frame.data());
      if (o.fps > 0)  // a camera's pace: frame t arrives at t / fps seconds
        std::this_thread::sleep_until(stream_start + std::chrono::duration<double>(static_cast<double>(t) / o.fps));
      const bool labelled = unit(rng) < o.labels;
      const bool busy = adapter.adapting();
      const auto t0 = std::chrono::steady_clock::now();
      const AdapterPrediction served =
          adapter.observe(frame.data(), labelled ? std::optional<int32_t>(c) : std::nullopt);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::vector<float> logits = original.logits(frame.data(), 1);
      if (t % 25 == 0) prior = adapter.label_prior();
      const int32_t none = argmax_within(logits, {}), masked = argmax_within(logits, adapter.subset());
      for (size_t k = 0; k < logits.size() && !prior.empty(); ++k)  // the prior relative to a uniform one
        logits[k] += prior[k] > 0 ? static_cast<float>(std::log(prior[k] * static_cast<double>(classes))) : -1e30f;
      const int32_t em = argmax_within(logits, {});
      log.frames[ph].push_back({c, served.label, none, masked, em, served.by_original, busy, static_cast<float>(ms),
                                adapter.serving().parameter_count()});
      if (t % 100 == 0) bar.update(t, adapter.status());
    }
  }
  adapter.wait();
  bar.finish();
  return log;
}

int run_adapt(AdaptVerbOptions& o) {
  // Image folders are resized to the model's input (--input, else the checkpoint's, else the architecture's).
  const Shape folder_size = !o.model.input.empty()        ? parse_chw(o.model.input)
                            : !o.model.checkpoint.empty() ? Shape(Model::load(o.model.checkpoint).input_chw())
                                                          : model_input(o.model, Shape{});
  Datasets data = open_datasets(o.data, folder_size);
  const Dataset& set = data.test ? *data.test : data.train;
  Model model = open_api_model(o.model, static_cast<int64_t>(set.class_names().size()), Shape(set.sample_shape()), 1);
  ET_REQUIRE(set.sample_shape() == model.input_chw(), "data samples are {} but the model takes {}",
             shape_text(set.sample_shape()), shape_text(model.input_chw()));
  const std::vector<Phase> phases = parse_stream(o.stream, set);
  complete_adapter_options(o);
  InferenceOptions io;
  io.engine = o.adapter.engine;
  InferenceSession original(model, io);
  Adapter adapter(model.clone(), o.adapter);
  if (!adapter.status().empty()) fmt::print("adapter: {}\n", adapter.status());
  const StreamLog log = serve_stream(adapter, original, set, phases, o);
  const std::vector<AdaptationReport> reports = adapter.reports();
  print_adapt_report(log, reports);
  if (!o.svg.empty()) write_text(o.svg, adapt_timeline_svg(log, reports, model.arch()));
  write_json(o.json, adapt_json(log, reports, o.stream, o.labels, model.arch()));
  return 0;
}

}  // namespace

Action add_adapt(CLI::App& app) {
  auto o = std::make_shared<AdaptVerbOptions>();
  add_model_options(app, o->model);
  add_data_options(app, o->data);
  app.add_option("--stream", o->stream,
                 "phases CLASSES:FRAMES separated by ';' (classes by index or name, or 'all'; a leading '~' "
                 "switches gradually from the previous phase)")
      ->capture_default_str();
  app.add_option("--labels", o->labels, "share of frames that come with their label (0..1)")->capture_default_str();
  app.add_option("--seed", o->seed, "stream order, labels")->capture_default_str();
  app.add_option("--fps", o->fps,
                 "frames per second the stream delivers (0: as fast as they are served; background retraining then "
                 "lags by many frames)")
      ->capture_default_str();
  app.add_option("--window", o->adapter.window, "frames the class shares are taken over")->capture_default_str();
  app.add_option("--subset-mass", o->adapter.subset_mass, "S covers this share of the window")->capture_default_str();
  app.add_option("--buffer", o->adapter.buffer_capacity, "replay buffer frames")->capture_default_str();
  app.add_option("--stable", o->adapter.stable_frames, "frames S must stay unchanged before adapting")
      ->capture_default_str();
  app.add_option("--drift", o->adapter.drift, "Jaccard distance that triggers a new adaptation")->capture_default_str();
  app.add_option("--fallback-confidence", o->adapter.fallback_confidence, "below this the original model answers")
      ->capture_default_str();
  app.add_option("--levels", o->levels, "pruning levels to try, in order")->capture_default_str();
  app.add_option("--trainables", o->trainables, "what retrains, tried in order at each batch until the budgets fit")
      ->capture_default_str();
  app.add_option("--criterion", o->criterion, "channel ranking: l1 | activation | apoz | taylor")
      ->capture_default_str();
  app.add_option("--epochs", o->adapter.epochs, "retraining epochs over the buffer")->capture_default_str();
  app.add_option("--batch", o->adapter.batch, "retraining batch")->capture_default_str();
  app.add_option("--lr", o->adapter.learning_rate, "retraining learning rate (SGD, momentum 0.9)")
      ->capture_default_str();
  app.add_option("--memory-budget", o->memory_budget_mib, "MiB the retraining process may use (needs --profile)");
  app.add_option("--time-budget", o->adapter.time_budget_seconds, "seconds retraining may take (needs --profile)");
  app.add_option("--profile", o->adapter.device_profile, "device profile from `edgetrain calibrate`");
  app.add_option("--state-dir", o->adapter.state_dir, "keep the adapter's state here across restarts");
  app.add_flag("!--foreground", o->adapter.background, "retrain inside the frame that decides (default: background)");
  app.add_option("--backend", o->backend, "kernels: auto, onednn, native, ref")->capture_default_str();
  app.add_option("--json", o->json, "write the report here");
  app.add_option("--svg", o->svg, "write the timeline (accuracy, latency, model size over the stream) here");
  return [o] { return run_adapt(*o); };
}

}  // namespace edgetrain::cli
