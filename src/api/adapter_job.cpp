// One adaptation (LoCO-PDA's shrink and retrain, METHODS §2): restrict the classifier to the observed
// subset, rank channels on the buffered frames, take the first pruning level (and the largest batch)
// whose predicted cost fits the budgets, retrain, and validate on held-back frames against the model
// serving now. Runs on the adapter's worker thread: it reads the original model (const, as the
// serving thread does) and copies of the buffered frames, and writes nothing shared.
#include <algorithm>
#include <chrono>
#include <span>

#include "adapt/classifier_head.hpp"
#include "api/adapter_impl.hpp"
#include "api/handles.hpp"
#include "core/check.hpp"
#include "edgetrain/training_session.hpp"
#include "train/rss.hpp"

namespace edgetrain::adapter_detail {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

TrainingOptions training_options(const AdapterOptions& o, int64_t batch, const std::string& trainable) {
  TrainingOptions t;
  t.batch = batch;
  t.trainable = Trainable::parse(trainable);
  t.optimizer.kind = Optimizer::sgd;
  t.optimizer.lr = o.learning_rate;
  t.optimizer.momentum = 0.9;
  t.engine = o.engine;
  return t;
}

// Frames for a model restricted to `subset`: labels become positions in it; frames of other classes
// get position subset.size() ("none of them") when `other`, and are left out otherwise.
struct Frames {
  std::vector<float> images;
  std::vector<int32_t> labels;
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};
Frames restricted_frames(const std::vector<float>& images, const std::vector<int32_t>& labels,
                         const std::vector<int32_t>& subset, bool other, bool positions, int64_t frame_size) {
  Frames out;
  for (size_t k = 0; k < labels.size(); ++k) {
    const auto pos = static_cast<int32_t>(std::find(subset.begin(), subset.end(), labels[k]) - subset.begin());
    if (pos == static_cast<int32_t>(subset.size()) && !other) continue;
    const float* f = images.data() + static_cast<int64_t>(k) * frame_size;
    out.images.insert(out.images.end(), f, f + frame_size);
    out.labels.push_back(positions ? pos : labels[k]);
  }
  return out;
}

// Share of frames answered right the way the adapter answers them (restricted model, the original
// where it is unsure).
double accuracy(const Model& original, const Restricted* restricted, const AdapterOptions& o,
                const std::vector<float>& images, const std::vector<int32_t>& labels, int64_t frame_size) {
  if (labels.empty()) return 0;
  InferenceSession orig(original, one_frame(o.engine));
  std::optional<InferenceSession> r;
  if (restricted) r.emplace(restricted->model, one_frame(o.engine));
  int64_t right = 0;
  for (size_t k = 0; k < labels.size(); ++k) {
    const float* frame = images.data() + static_cast<int64_t>(k) * frame_size;
    const Answer a = answer(frame, r ? &*r : nullptr, restricted ? restricted->classes : std::vector<int32_t>{}, orig,
                            o.fallback_confidence);
    right += a.prediction.label == labels[k];
  }
  return static_cast<double>(right) / static_cast<double>(labels.size());
}

// Median one-frame inference time of a model, in milliseconds.
double latency_ms(const Model& model, const EngineOptions& engine, const float* frame) {
  InferenceSession s(model, one_frame(engine));
  s.run(frame, 1);  // warm-up
  std::vector<double> ms;
  for (int k = 0; k < 15; ++k) {
    const auto t0 = Clock::now();
    s.run(frame, 1);
    ms.push_back(seconds_since(t0) * 1e3);
  }
  std::nth_element(ms.begin(), ms.begin() + 7, ms.end());
  return ms[7];
}

struct Choice {
  std::optional<Model> model;
  double level = 0;
  int64_t batch = 0;
  std::string trainable;
  CostEstimate estimate;
};

// The first of `levels` that fits the budgets: at the largest batch (down to 2) with the first of
// options.trainable_specs whose predicted retraining cost fits (without a device profile: the first
// level and spec at the asked batch).
Choice choose(const Model& base, const std::optional<ChannelRanking>& ranking, std::span<const double> levels,
              const AdapterOptions& o, const Predictor* predictor, int64_t samples, std::string& why) {
  for (double level : levels) {
    Model candidate = level > 0 ? base.pruned(*ranking, level) : base.clone();
    for (int64_t batch = std::min(o.batch, samples); batch >= 2 || batch == samples; batch /= 2) {
      for (const std::string& spec : o.trainable_specs) {
        if (!predictor) {
          why += fmt::format("level {:.2f}, batch {}, trainable {} (no device profile: no cost prediction)", level,
                             batch, spec);
          return {std::move(candidate), level, batch, spec, {}};
        }
        const CostEstimate e =
            predictor->estimate(candidate, training_options(o, batch, spec), samples, o.memory_budget);
        const double secs = e.epoch_seconds * o.epochs;
        const bool memory_fits = o.memory_budget == 0 || e.total_bytes <= o.memory_budget;
        const bool time_fits = o.time_budget_seconds == 0 || secs <= o.time_budget_seconds;
        why += fmt::format("level {:.2f} batch {} {}: {:.1f} MiB, {:.1f} s predicted{}; ", level, batch, spec,
                           static_cast<double>(e.total_bytes) / (1 << 20), secs,
                           memory_fits && time_fits ? " (fits)"
                           : !memory_fits           ? " (over memory)"
                                                    : " (over time)");
        if (memory_fits && time_fits) return {std::move(candidate), level, batch, spec, e};
      }
      if (batch == 1) break;
    }
  }
  return {};
}

// Validation frames of the subset: the user-labelled ones where there are at least kMinLabelled
// (a confident prediction standing in for a label favours the model that made it), else all.
Frames validation_frames(const JobInput& in, int64_t frame_size) {
  constexpr int64_t kMinLabelled = 10;
  std::vector<float> images;
  std::vector<int32_t> labels;
  for (size_t k = 0; k < in.held_labels.size(); ++k) {
    if (!in.held_labelled[k]) continue;
    const float* f = in.held_images.data() + static_cast<int64_t>(k) * frame_size;
    images.insert(images.end(), f, f + frame_size);
    labels.push_back(in.held_labels[k]);
  }
  Frames labelled = restricted_frames(images, labels, in.subset, false, false, frame_size);
  if (labelled.size() >= kMinLabelled) return labelled;
  return restricted_frames(in.held_images, in.held_labels, in.subset, false, false, frame_size);
}

// Retrains `c` on `train` (stopping early when `stop` turns true) and validates it against the
// serving model on `held`: fills the report's measurements; returns the adapted model (null when stopped).
std::shared_ptr<Restricted> retrain(Choice& c, const Dataset& train, const Frames& held, const Model& original,
                                    const AdapterOptions& o, const JobInput& in, bool other,
                                    const std::atomic<bool>& stop, AdaptationReport& rep) {
  const int64_t frame_size = held.size() > 0 ? static_cast<int64_t>(held.images.size()) / held.size() : 0;
  rep.level = c.level;
  rep.batch = c.batch;
  rep.trainable = c.trainable;
  rep.predicted_seconds = c.estimate.epoch_seconds * o.epochs;
  rep.predicted_bytes = c.estimate.total_bytes;
  reset_peak_rss();
  const auto t0 = Clock::now();
  {
    TrainingSession session(*c.model, training_options(o, c.batch, c.trainable));
    rep.plan_bytes = session.memory().total;
    FitOptions fit;
    fit.epochs = o.epochs;
    fit.on_step = [&](const StepProgress&) { return !stop.load(); };
    if (session.fit(train, fit).stopped) return nullptr;
  }
  rep.seconds = seconds_since(t0);
  rep.peak_rss_bytes = peak_rss_bytes();
  auto adapted = std::make_shared<Restricted>(Restricted{std::move(*c.model), in.subset, other});
  rep.accuracy_before = accuracy(original, in.serving.get(), o, held.images, held.labels, frame_size);
  rep.accuracy_after = accuracy(original, adapted.get(), o, held.images, held.labels, frame_size);
  const Model& before = in.serving ? in.serving->model : original;
  rep.latency_before_ms = latency_ms(before, o.engine, held.images.data());
  rep.latency_after_ms = latency_ms(adapted->model, o.engine, held.images.data());
  rep.params_before = before.parameter_count();
  rep.params_after = adapted->model.parameter_count();
  return adapted;
}

}  // namespace

JobResult run_adaptation(const Model& original, const AdapterOptions& o, const Predictor* predictor, const JobInput& in,
                         const std::atomic<bool>& stop) {
  JobResult r;
  AdaptationReport& rep = r.report;
  rep.frame = in.frame;
  rep.subset = in.subset;
  const std::vector<int64_t> chw = original.input_chw();
  const int64_t frame_size = chw[0] * chw[1] * chw[2];
  // "None of them" is learnt from buffered frames of other classes, where there are enough.
  const auto outside = std::count_if(in.train_labels.begin(), in.train_labels.end(), [&](int32_t l) {
    return std::find(in.subset.begin(), in.subset.end(), l) == in.subset.end();
  });
  const bool other = outside >= o.min_frames_per_class;
  const Frames train_frames = restricted_frames(in.train_images, in.train_labels, in.subset, other, true, frame_size);
  const Frames held = validation_frames(in, frame_size);
  const int64_t samples = train_frames.size();
  rep.held_back = held.size();
  ET_REQUIRE(samples >= 2 && rep.held_back >= 1,
             "{} buffered frames to train on and {} of the subset to validate: too few", samples, rep.held_back);
  const Dataset train = Dataset::view_arrays(train_frames.images.data(), train_frames.labels.data(), samples, chw);
  const Model base = detail::ModelState::make(adapt::restrict_classes(
      original.state().net, std::vector<int>(in.subset.begin(), in.subset.end()), other ? 1 : 0));

  std::optional<ChannelRanking> ranking;
  if (std::any_of(o.prune_levels.begin(), o.prune_levels.end(), [](double l) { return l > 0; })) {
    PruneOptions po;
    po.criterion = o.criterion;
    po.rank_batch = std::min<int64_t>(32, samples);
    po.rank_batches = std::clamp<int64_t>(samples / po.rank_batch, 1, 8);
    po.backend = o.engine.backend;
    ranking = needs_data(o.criterion) ? ChannelRanking::rank(base, po, train) : ChannelRanking::rank(base, po);
  }
  // The levels in order: the first that fits; where its model is worse than the serving one, the next.
  std::span<const double> levels(o.prune_levels);
  while (!levels.empty() && !stop) {
    Choice c = choose(base, ranking, levels, o, predictor, samples, rep.why);
    if (!c.model) {
      rep.why = (r.report.seconds > 0 ? "" : "nothing fits the budgets: ") + rep.why;
      return r;
    }
    levels = levels.subspan(static_cast<size_t>(std::find(levels.begin(), levels.end(), c.level) - levels.begin()) + 1);
    std::shared_ptr<Restricted> adapted = retrain(c, train, held, original, o, in, other, stop, rep);
    if (!adapted) break;
    rep.accepted = rep.accuracy_after >= rep.accuracy_before;
    if (rep.accepted) {
      r.model = std::move(adapted);
      return r;
    }
    rep.why += fmt::format("; level {:.2f} rolled back: {:.3f} on {} held-back frames against {:.3f}; ", c.level,
                           rep.accuracy_after, held.size(), rep.accuracy_before);
  }
  if (stop) rep.why += "; stopped";
  return r;
}

}  // namespace edgetrain::adapter_detail
