// Adapter: serves every frame, observes the stream, decides when to adapt (LoCO-PDA, METHODS §2).
#include <algorithm>
#include <filesystem>

#include "adapt/observed_subset.hpp"
#include "api/adapter_impl.hpp"
#include "core/check.hpp"

namespace edgetrain {

using adapter_detail::Restricted;

namespace adapter_detail {

InferenceOptions one_frame(const EngineOptions& engine) {
  InferenceOptions o;
  o.batch = 1;
  o.engine = engine;
  return o;
}

Answer answer(const float* frame, InferenceSession* restricted, const std::vector<int32_t>& classes,
              InferenceSession& original, double fallback_confidence) {
  Answer a;
  if (restricted) {
    const std::vector<float> p = restricted->probabilities(frame, 1);
    const auto top = std::max_element(p.begin(), p.end());
    const auto k = static_cast<size_t>(top - p.begin());
    if (k < classes.size() && *top >= fallback_confidence) {  // past the classes: "none of them"
      a.prediction = {classes[k], *top, false};
      return a;
    }
  }
  a.original_posterior = original.probabilities(frame, 1);
  const auto top = std::max_element(a.original_posterior.begin(), a.original_posterior.end());
  a.prediction = {static_cast<int32_t>(top - a.original_posterior.begin()), *top, true};
  return a;
}

}  // namespace adapter_detail

namespace {

void check(const AdapterOptions& o) {
  ET_REQUIRE(o.window > 0 && o.buffer_capacity > 0 && o.stable_frames >= 0 && o.min_frames_per_class > 0,
             "adapter: window ({}), buffer_capacity ({}) and min_frames_per_class ({}) must be positive", o.window,
             o.buffer_capacity, o.min_frames_per_class);
  ET_REQUIRE(o.subset_mass > 0 && o.subset_mass <= 1, "adapter: subset_mass {} is outside (0, 1]", o.subset_mass);
  ET_REQUIRE(o.max_subset_share > 0 && o.max_subset_share < 1, "adapter: max_subset_share {} is outside (0, 1)",
             o.max_subset_share);
  ET_REQUIRE(o.drift >= 0 && o.drift <= 1, "adapter: drift {} is outside [0, 1]", o.drift);
  ET_REQUIRE(o.alarm_share > 0 && o.alarm_share <= 1, "adapter: alarm_share {} is outside (0, 1]", o.alarm_share);
  ET_REQUIRE(
      o.fallback_confidence >= 0 && o.fallback_confidence <= 1 && o.label_confidence >= 0 && o.label_confidence <= 1,
      "adapter: fallback_confidence and label_confidence must lie in [0, 1]");
  ET_REQUIRE(!o.prune_levels.empty(), "adapter: prune_levels is empty (use {{0.0}} for no pruning)");
  ET_REQUIRE(!o.trainable_specs.empty(), "adapter: trainable_specs is empty (use {{\"all\"}})");
  for (const std::string& spec : o.trainable_specs) Trainable::parse(spec);  // throws Error naming a bad one
  for (double l : o.prune_levels) ET_REQUIRE(l >= 0 && l < 1, "adapter: pruning level {} is outside [0, 1)", l);
  ET_REQUIRE(o.epochs > 0 && o.batch > 0 && o.learning_rate > 0 && o.hold_back_every >= 2,
             "adapter: epochs, batch and learning_rate must be positive and hold_back_every at least 2");
  ET_REQUIRE((o.memory_budget == 0 && o.time_budget_seconds == 0) || !o.device_profile.empty(),
             "adapter: a memory or time budget needs a device profile (`edgetrain calibrate`) to predict costs");
}

}  // namespace

Adapter::Impl::Impl(Model deployed, const AdapterOptions& o)
    : options((check(o), o)),
      original(std::move(deployed)),
      chw(original.input_chw()),
      frame_size(chw[0] * chw[1] * chw[2]),
      classes(original.num_classes()),
      original_session(original, adapter_detail::one_frame(o.engine)),
      window(original.num_classes(), o.window),
      buffer(o.buffer_capacity, original.num_classes(), chw[0] * chw[1] * chw[2]),
      source_prior(o.source_prior.empty() ? std::vector<double>(static_cast<size_t>(original.num_classes()),
                                                                1.0 / static_cast<double>(original.num_classes()))
                                          : o.source_prior) {
  ET_REQUIRE(static_cast<int64_t>(source_prior.size()) == classes,
             "adapter: the source prior has {} classes, the model {}", source_prior.size(), classes);
  if (!o.device_profile.empty()) predictor = Predictor::load(o.device_profile);
  if (o.state_dir.empty()) return;
  std::filesystem::create_directories(o.state_dir);
  std::string problem;
  std::shared_ptr<const Restricted> resumed = adapter_detail::read_state(o.state_dir, classes, problem, generation);
  if (!problem.empty()) status = problem + "; serving the deployed model";
  if (resumed) {
    serve(resumed);
    status = "resumed the adapted model for classes " + fmt::format("{}", fmt::join(resumed->classes, ","));
  }
  adapter_detail::read_buffer(o.state_dir, buffer, problem);
  if (!problem.empty()) status += (status.empty() ? "" : "; ") + problem;
}

Adapter::Impl::~Impl() {
  stop = true;
  if (worker.joinable()) worker.join();
  if (!options.state_dir.empty()) {
    try {
      adapter_detail::write_buffer(options.state_dir, buffer, chw);
    } catch (const Error&) {  // a destructor must not throw; the buffer is only lost
    }
  }
}

void Adapter::Impl::serve(std::shared_ptr<const Restricted> model) {
  serving_session.reset();
  checks.clear();
  serving = std::move(model);
  if (serving) serving_session.emplace(serving->model, adapter_detail::one_frame(options.engine));
}

AdapterPrediction Adapter::Impl::observe(const float* frame, std::optional<int32_t> label) {
  ET_REQUIRE(frame != nullptr, "adapter: the frame must not be null");
  ET_REQUIRE(!label || (*label >= 0 && *label < classes), "adapter: label {} is outside the model's {} classes",
             label.value_or(0), classes);
  collect();
  adapter_detail::Answer a = adapter_detail::answer(frame, serving_session ? &*serving_session : nullptr,
                                                    serving ? serving->classes : std::vector<int32_t>{},
                                                    original_session, options.fallback_confidence);
  // An audit: the original also runs on every audit_every-th frame the adapted model answered, so
  // that classes it cannot name show up even where it answers them confidently.
  const bool audit =
      serving && a.original_posterior.empty() && options.audit_every > 0 && frames % options.audit_every == 0;
  if (audit) a.original_posterior = original_session.probabilities(frame, 1);
  ++frames;
  if (serving && label) check_drift(*label);  // unbiased checks of the adapted classes: labels, and the
  if (serving && audit && !label) {           // original's confident answers on audited frames
    const auto top = std::max_element(a.original_posterior.begin(), a.original_posterior.end());
    if (*top >= options.label_confidence) check_drift(static_cast<int32_t>(top - a.original_posterior.begin()));
  }
  // What the window learns: the label where given, else the original's posterior where it ran, else
  // (the original serving) its answer. The adapted model's own answers are left out: they cannot name
  // a class outside its subset, so they would hide the drift the window is there to see.
  if (label || !a.original_posterior.empty()) {
    std::vector<float> seen(static_cast<size_t>(classes), 0.f);
    if (label)
      seen[static_cast<size_t>(*label)] = 1.f;
    else if (!a.original_posterior.empty())
      seen = a.original_posterior;
    window.push(seen);
  }
  const std::span<const float> pixels(frame, static_cast<size_t>(frame_size));
  if (label)
    buffer.add(pixels, *label, true);
  else if (a.prediction.probability >= options.label_confidence)
    buffer.add(pixels, a.prediction.label, false);
  decide();
  return a.prediction;
}

void Adapter::Impl::check_drift(int32_t truth) {
  constexpr size_t kChecks = 40, kMinChecks = 16;
  checks.push_back(std::find(serving->classes.begin(), serving->classes.end(), truth) == serving->classes.end());
  if (checks.size() > kChecks) checks.pop_front();
  const auto outside = static_cast<double>(std::count(checks.begin(), checks.end(), true));
  if (checks.size() < kMinChecks || outside < options.alarm_share * static_cast<double>(checks.size())) return;
  status = fmt::format("drift: {:.0f} of the last {} checked frames lie outside classes {}; serving the original model",
                       outside, checks.size(), fmt::join(serving->classes, ","));
  serve(nullptr);
  subset_since = frames;  // S must settle again before the next adaptation
  persist(false);
}

std::vector<int32_t> Adapter::Impl::current_subset() const {
  if (window.size() == 0) return {};
  const std::vector<double> shares =
      options.em_shares ? window.em_prior(source_prior, 100, 1e-5).prior : window.prediction_shares();
  const std::vector<int> s = adapt::observed_subset(shares, {adapt::SubsetRule::Kind::mass, options.subset_mass, 0});
  return {s.begin(), s.end()};
}

void Adapter::Impl::decide() {
  // S is re-estimated every few frames (the EM estimate costs window x classes per iteration).
  constexpr int64_t kSubsetEvery = 10;
  if (busy || frames % kSubsetEvery != 0) return;
  const std::vector<int32_t> s = current_subset();
  if (s != last_subset) last_subset = s, subset_since = frames;
  if (window.size() < std::min<int64_t>(options.window, options.stable_frames) ||
      frames - subset_since < options.stable_frames)
    return;
  if (static_cast<double>(s.size()) > options.max_subset_share * static_cast<double>(classes)) {
    if (serving) {
      serve(nullptr);
      status = fmt::format("the stream shows {} of {} classes: serving the original model", s.size(), classes);
      persist(false);
    }
    return;
  }
  if (serving) {
    std::vector<int32_t> adapted = serving->classes;
    std::sort(adapted.begin(), adapted.end());
    const bool covered = std::includes(adapted.begin(), adapted.end(), s.begin(), s.end());
    if (covered && adapt::jaccard_distance({s.begin(), s.end()}, {adapted.begin(), adapted.end()}) <= options.drift)
      return;
  }
  if (s == rejected_subset) return;  // tried on this subset and kept the serving model
  for (int32_t c : s)
    if (buffer.count(c) < options.min_frames_per_class) {
      status = fmt::format("waiting for frames of class {} ({} of {} buffered)", c, buffer.count(c),
                           options.min_frames_per_class);
      return;
    }
  start(job_input());
}

adapter_detail::JobInput Adapter::Impl::job_input() const {
  adapter_detail::JobInput in;
  in.frame = frames;
  in.subset = last_subset;
  in.serving = serving;
  std::vector<const adapt::ReplaySample*> train, held;
  buffer.split(options.hold_back_every, train, held);
  for (const adapt::ReplaySample* r : train) {
    in.train_images.insert(in.train_images.end(), r->input.begin(), r->input.end());
    in.train_labels.push_back(r->label);
  }
  for (const adapt::ReplaySample* r : held) {
    in.held_images.insert(in.held_images.end(), r->input.begin(), r->input.end());
    in.held_labels.push_back(r->label);
    in.held_labelled.push_back(r->labelled);
  }
  return in;
}

void Adapter::Impl::start(adapter_detail::JobInput in) {
  if (worker.joinable()) worker.join();
  busy = true;
  status = fmt::format("adapting to classes {}", fmt::join(in.subset, ","));
  auto job = [this, in = std::move(in)] {
    adapter_detail::JobResult r;
    try {
      r = adapter_detail::run_adaptation(original, options, predictor ? &*predictor : nullptr, in, stop);
    } catch (const Error& e) {
      r.report.frame = in.frame;
      r.report.subset = in.subset;
      r.report.why = std::string("failed: ") + e.what();
    }
    std::lock_guard<std::mutex> lock(done_mutex);
    done = std::move(r);
    busy = false;
  };
  if (options.background)
    worker = std::thread(std::move(job));
  else
    job(), collect();
}

void Adapter::Impl::persist(bool with_buffer) {
  if (options.state_dir.empty()) return;
  try {
    adapter_detail::write_state(options.state_dir, serving.get(), ++generation);
    if (with_buffer) adapter_detail::write_buffer(options.state_dir, buffer, chw);
  } catch (const Error& e) {  // serving goes on; the last state written stays valid
    status += fmt::format("; could not save the adapter state ({})", e.what());
  }
}

void Adapter::Impl::collect() {
  std::optional<adapter_detail::JobResult> r;
  {
    std::lock_guard<std::mutex> lock(done_mutex);
    r.swap(done);
  }
  if (!r) return;
  reports.push_back(r->report);
  if (r->report.accepted) {
    serve(r->model);
    rejected_subset.clear();
    status = fmt::format("serving the model adapted to classes {}", fmt::join(r->report.subset, ","));
    persist(true);
  } else {
    rejected_subset = r->report.subset;
    status = "kept the serving model: " + r->report.why;
  }
}

Adapter::Adapter(Model deployed, const AdapterOptions& options)
    : impl_(std::make_unique<Impl>(std::move(deployed), options)) {}
Adapter::Adapter(Adapter&&) noexcept = default;
Adapter& Adapter::operator=(Adapter&&) noexcept = default;
Adapter::~Adapter() = default;

AdapterPrediction Adapter::observe(const float* frame, std::optional<int32_t> label) {
  return impl_->observe(frame, label);
}
bool Adapter::adapting() const { return impl_->busy; }
void Adapter::wait() {
  if (impl_->worker.joinable()) impl_->worker.join();
  impl_->collect();
}
int64_t Adapter::frames() const { return impl_->frames; }
std::vector<int32_t> Adapter::subset() const { return impl_->last_subset; }
std::vector<int32_t> Adapter::adapted_subset() const {
  return impl_->serving ? impl_->serving->classes : std::vector<int32_t>{};
}
std::vector<double> Adapter::label_prior() const {
  if (impl_->window.size() == 0) return {};
  return impl_->window.em_prior(impl_->source_prior).prior;
}
std::vector<AdaptationReport> Adapter::reports() const { return impl_->reports; }
std::string Adapter::status() const { return impl_->status; }
const Model& Adapter::serving() const { return impl_->serving ? impl_->serving->model : impl_->original; }

}  // namespace edgetrain
