// TrainingSession: a compiled training step (the Trainer) and the recipe around it.
#include "edgetrain/training_session.hpp"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "api/convert.hpp"
#include "api/handles.hpp"
#include "api/input.hpp"
#include "api/precision_schedule.hpp"
#include "api/pruning.hpp"
#include "core/check.hpp"
#include "data/loader.hpp"
#include "io/model_io.hpp"
#include "prune/pruner.hpp"
#include "train/trainer.hpp"

namespace edgetrain {

struct TrainingSession::Impl {
  std::shared_ptr<detail::ModelState> state;
  Model model;  // a handle on `state` for model()
  TrainingOptions options;
  std::unique_ptr<Trainer> trainer;
  int epochs_done = 0;
  std::atomic<bool> stop{false};
  std::map<std::string, std::string> metadata;
  std::unique_ptr<Evaluator> evaluator;   // the last evaluation's plan, kept for the next
  std::optional<PrecisionPolicy> policy;  // with Precision::muppet: the regime the trainer runs in

  Impl(std::shared_ptr<detail::ModelState> s, const TrainingOptions& o,
       std::optional<PrecisionPolicyState> saved_policy = std::nullopt)
      : state(s), model(detail::ModelState::wrap(s)), options(o) {
    options.optimizer.lr = options.optimizer.base_lr();
    if (options.engine.precision == Precision::muppet) {
      const std::size_t params = state->net.graph.params.size();
      const PrecisionPolicyOptions po = api::to_internal(options.precision_schedule);
      policy = saved_policy ? PrecisionPolicy(params, std::move(*saved_policy), po) : PrecisionPolicy(params, po);
    }
    trainer = make_trainer(state->net);
  }

  // The training step of `net` compiled with this session's options.
  std::unique_ptr<Trainer> make_trainer(Network& net) const {
    TrainConfig tc;
    const CompileOptions c = api::training_compile_options(options);
    tc.batch = c.batch;
    tc.optimizer = c.optimizer;
    tc.schedule = api::to_internal(options.schedule);
    tc.trainable = c.trainable;
    tc.freeze_bn_stats = c.freeze_bn_stats;
    tc.memory_budget = c.memory_budget;
    tc.planner = c.planner;
    tc.seed = options.seed;
    tc.backend = c.backend;
    tc.blocked_layouts = c.blocked_layouts;
    tc.blocked_params = c.blocked_params;
    tc.fuse_activations = c.fuse_activations;
    tc.winograd = c.winograd;
    tc.activations = policy ? policy->regime() : c.activations;
    auto t = std::make_unique<Trainer>(net, tc);
    t->keep_epoch_end_gradients(policy.has_value());
    return t;
  }

  // The epoch's precision, and the muppet policy's decision after it: a new precision recompiles the
  // step (weights, optimizer state, counters and learning-rate override carried over).
  void end_epoch_precision(EpochReport& report) {
    report.precision = api::precision_of(trainer->config().activations);
    if (!policy) return;
    const PolicyDecision& d = policy->end_epoch(report.epoch, trainer->epoch_end_gradients());
    report.precision_decision = api::to_public(d);
    if (d.next != d.trained_in) recompile();
  }

  // The step of `net` compiled to follow the current one: `optimizer` (the current state, or one
  // sliced for a pruned net), the counters and the learning-rate override carried over.
  std::unique_ptr<Trainer> successor(Network& net, const OptimizerState& optimizer) const {
    std::unique_ptr<Trainer> next = make_trainer(net);
    copy_optimizer_state(optimizer, next->optimizer_state());
    next->set_learning_rate_override(trainer->learning_rate_override());
    return next;
  }

  // The step compiled again (for a new precision).
  void recompile() { trainer = successor(state->net, trainer->optimizer_state()); }

  // Swaps in the pruned network with its sliced optimizer state; the session is unchanged when
  // anything throws (the new step is compiled before the swap).
  double prune(const detail::RankingState& ranking, double level) {
    const Network& net = state->net;
    const prune::PruningChoice choice = api::choose_channels(ranking, net, level);
    auto pruned = std::make_shared<detail::ModelState>(
        detail::ModelState{prune::apply_pruning(net, ranking.groups, choice.keep)});
    const OptimizerState sliced =
        prune::prune_optimizer_state(net.graph, trainer->optimizer_state(), pruned->net, ranking.groups, choice.keep);
    std::unique_ptr<Trainer> next = successor(pruned->net, sliced);
    if (policy) policy->restart_pool();  // pooled gradients of the old shapes
    evaluator.reset();
    trainer = std::move(next);
    model = detail::ModelState::wrap(pruned);
    state = std::move(pruned);
    return choice.level();
  }

  StepResult result(float loss) const { return StepResult{loss, trainer->last_correct(), options.batch}; }

  Evaluation evaluate(const std::shared_ptr<const data::Dataset>& set, int64_t batch, const ProgressCallback& cb) {
    const Network& net = state->net;
    ET_REQUIRE(set->size() > 0, "the evaluation data set is empty");
    ET_REQUIRE(set->sample_shape() == Shape(model.input_chw()),
               "evaluation samples are {} but the model takes {}: use data of the model's input size",
               set->sample_shape().str(), Shape(model.input_chw()).str());
    batch = std::max<int64_t>(1, std::min(batch, set->size()));
    if (!evaluator || evaluator->batch() != batch)
      evaluator = std::make_unique<Evaluator>(net, batch, api::inference_compile_options(options.engine, batch));
    const EvalResult r = evaluator->run(
        set,
        [&](int64_t done, int64_t total, double, double) {
          if (cb) cb(done, total);
        },
        options.normalize_inputs);
    return Evaluation{r.loss, r.accuracy, r.samples, r.seconds};
  }
};

namespace {

nlohmann::json options_json(const TrainingOptions& o) {
  const ScheduleOptions& s = o.schedule;
  return {{"batch", o.batch},
          {"trainable", o.trainable.str()},
          {"optimizer", api::name_of(o.optimizer.kind)},
          {"lr", o.optimizer.lr},
          {"momentum", o.optimizer.momentum},
          {"nesterov", o.optimizer.nesterov},
          {"weight_decay", o.optimizer.weight_decay},
          {"beta1", o.optimizer.beta1},
          {"beta2", o.optimizer.beta2},
          {"eps", o.optimizer.eps},
          {"schedule", api::name_of(s.kind)},
          {"schedule_warmup_steps", s.warmup_steps},
          {"schedule_warmup_start_factor", s.warmup_start_factor},
          {"schedule_step_size", s.step_size},
          {"schedule_gamma", s.gamma},
          {"schedule_total_steps", s.total_steps},
          {"schedule_min_lr", s.min_lr},
          {"freeze_bn", o.freeze_bn},
          {"memory_budget", o.memory_budget},
          {"seed", o.seed},
          {"normalize_inputs", o.normalize_inputs},
          {"backend", api::backend_name(o.engine.backend)},
          {"no_reuse_planner", o.engine.planner == Planner::no_reuse},
          {"blocked_layouts", o.engine.blocked_layouts},
          {"blocked_params", o.engine.blocked_params},
          {"fuse_activations", o.engine.fuse_activations},
          {"winograd", o.engine.winograd},
          {"precision", to_string(o.engine.precision)},
          {"precision_resolution", o.precision_schedule.resolution},
          {"precision_violations", o.precision_schedule.violations_to_switch}};
}

TrainingOptions options_from_json(const nlohmann::json& j) {
  TrainingOptions o;
  o.batch = j.at("batch");
  o.trainable = Trainable::parse(j.at("trainable").get<std::string>());
  o.optimizer.kind = api::from_internal(optim::parse_optimizer(j.at("optimizer").get<std::string>()));
  o.optimizer.lr = j.at("lr");
  o.optimizer.momentum = j.at("momentum");
  o.optimizer.nesterov = j.at("nesterov");
  o.optimizer.weight_decay = j.at("weight_decay");
  o.optimizer.beta1 = j.at("beta1");
  o.optimizer.beta2 = j.at("beta2");
  o.optimizer.eps = j.at("eps");
  o.schedule.kind = api::from_internal(optim::parse_schedule(j.at("schedule").get<std::string>()));
  o.schedule.warmup_steps = j.at("schedule_warmup_steps");
  o.schedule.warmup_start_factor = j.at("schedule_warmup_start_factor");
  o.schedule.step_size = j.at("schedule_step_size");
  o.schedule.gamma = j.at("schedule_gamma");
  o.schedule.total_steps = j.at("schedule_total_steps");
  o.schedule.min_lr = j.at("schedule_min_lr");
  o.freeze_bn = j.at("freeze_bn");
  o.memory_budget = j.at("memory_budget");
  o.seed = j.at("seed");
  o.normalize_inputs = j.at("normalize_inputs");
  o.engine.backend = api::backend_from_name(j.at("backend").get<std::string>());
  o.engine.planner = j.at("no_reuse_planner").get<bool>() ? Planner::no_reuse : Planner::greedy_by_size;
  o.engine.blocked_layouts = j.at("blocked_layouts");
  o.engine.blocked_params = j.at("blocked_params");
  o.engine.fuse_activations = j.at("fuse_activations");
  o.engine.winograd = j.at("winograd");
  o.engine.precision = parse_precision(j.value("precision", std::string("f32")));  // absent before bf16
  o.precision_schedule.resolution = j.value("precision_resolution", 3);
  o.precision_schedule.violations_to_switch = j.value("precision_violations", 2);
  return o;
}

}  // namespace

TrainingSession::TrainingSession(Model& model, const TrainingOptions& options)
    : impl_(std::make_unique<Impl>(model.shared_state(), options)) {}
TrainingSession::TrainingSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainingSession::TrainingSession(TrainingSession&&) noexcept = default;
TrainingSession& TrainingSession::operator=(TrainingSession&&) noexcept = default;
TrainingSession::~TrainingSession() = default;

TrainingSession TrainingSession::resume(const std::string& checkpoint) {
  io::LoadedCheckpoint c = io::load_checkpoint(checkpoint);
  TrainingOptions o;
  int epochs_done = 0;
  std::map<std::string, std::string> metadata;
  try {
    o = options_from_json(c.training);
    epochs_done = c.training.at("epochs_done");
    metadata = c.training.value("metadata", std::map<std::string, std::string>{});
  } catch (const nlohmann::json::exception&) {
    fail(
        "{}: checkpoint has no training state to resume from (load it with Model::load / --checkpoint to fine-tune it "
        "instead)",
        checkpoint);
  }
  std::optional<PrecisionPolicyState> policy;
  if (o.engine.precision == Precision::muppet && c.training.contains("precision_policy"))
    policy = api::policy_state(c.training["precision_policy"], c.raw, checkpoint);
  auto state = std::make_shared<detail::ModelState>(detail::ModelState{std::move(c.model)});
  auto impl = std::make_unique<Impl>(state, o, std::move(policy));
  io::restore_optimizer(c.raw, state->net.graph, impl->trainer->optimizer_state());
  impl->epochs_done = epochs_done;
  impl->metadata = std::move(metadata);
  return TrainingSession(std::move(impl));
}

bool TrainingSession::can_resume(const std::string& checkpoint) {
  const io::LoadedCheckpoint c = io::load_checkpoint(checkpoint);
  return c.training.contains("epochs_done") && c.training.contains("optimizer");
}

PlanSummary TrainingSession::preview(const Model& model, const TrainingOptions& options) {
  TrainingOptions o = options;
  o.optimizer.lr = o.optimizer.base_lr();
  optim::validate(api::to_internal(o.optimizer));
  return api::summarize(compile(model.state().net.graph, api::training_compile_options(o)));
}

StepResult TrainingSession::step(const float* images, const int32_t* labels) {
  ET_REQUIRE(images && labels, "step: images and labels must not be null");
  api::copy_input(impl_->state->net, impl_->options.normalize_inputs, images, impl_->options.batch,
                  impl_->trainer->input_images());
  std::copy_n(labels, impl_->options.batch, impl_->trainer->input_labels());
  return step();
}

float* TrainingSession::input_images() { return impl_->trainer->input_images(); }
int32_t* TrainingSession::input_labels() { return impl_->trainer->input_labels(); }
StepResult TrainingSession::step() { return impl_->result(impl_->trainer->train_step()); }

FitResult TrainingSession::fit(const Dataset& train, const FitOptions& fo) {
  Impl& s = *impl_;
  const std::shared_ptr<const data::Dataset>& set = train.handle().set;
  ET_REQUIRE(fo.epochs > 0, "fit: epochs must be positive, got {}", fo.epochs);
  ET_REQUIRE(s.epochs_done < fo.epochs, "already trained for {} epochs; pass epochs greater than that to continue",
             s.epochs_done);
  ET_REQUIRE(set->sample_shape() == Shape(s.model.input_chw()),
             "training samples are {} but the model takes {}: use data of the model's input size",
             set->sample_shape().str(), Shape(s.model.input_chw()).str());
  ET_REQUIRE(static_cast<int64_t>(set->class_names().size()) <= s.model.num_classes(),
             "the model has {} outputs but the data has {} classes (re-target it with with_num_classes)",
             s.model.num_classes(), set->class_names().size());
  ET_REQUIRE(set->size() >= s.options.batch, "the training data has {} samples, fewer than one batch of {}",
             set->size(), s.options.batch);
  data::LoaderOptions lo;
  lo.batch = s.options.batch;
  lo.drop_last = true;
  lo.seed = fo.data_seed;
  if (s.options.normalize_inputs) {
    lo.augment.mean = s.state->net.info.mean;
    lo.augment.std = s.state->net.info.std;
  }
  lo.augment.crop_padding = fo.augment.crop_padding;
  lo.augment.horizontal_flip = fo.augment.horizontal_flip;
  data::BatchLoader loader(set, lo);

  s.stop = false;
  FitResult result;
  const int end = fo.stop_after > 0 ? std::min(fo.epochs, s.epochs_done + fo.stop_after) : fo.epochs;
  while (s.epochs_done < end) {
    const int epoch = s.epochs_done;
    const EpochResult r = s.trainer->train_epoch(
        loader, epoch,
        [&](int64_t done, int64_t total, double loss, double acc) {
          if (fo.on_step && !fo.on_step(StepProgress{epoch + 1, done, total, loss, acc})) s.stop = true;
        },
        &s.stop);
    if (r.stopped) {
      result.stopped = true;
      break;
    }
    s.epochs_done = epoch + 1;
    result.train_seconds += r.seconds;
    result.samples += r.samples;
    EpochReport report{epoch + 1, fo.epochs,    r.loss,         r.accuracy,  r.samples,
                       r.seconds, std::nullopt, Precision::f32, std::nullopt};
    s.end_epoch_precision(report);
    if (fo.test) report.test = s.evaluate(fo.test->handle().set, fo.eval_batch, fo.on_eval_progress);
    if (!fo.checkpoint.empty()) save_checkpoint(fo.checkpoint, fo.checkpoint_metadata);
    result.epochs.push_back(report);
    if ((fo.on_epoch && !fo.on_epoch(report)) || s.stop) {
      result.stopped = s.epochs_done < end;
      break;
    }
  }
  return result;
}

double TrainingSession::prune(const ChannelRanking& ranking, double level) {
  return impl_->prune(ranking.state(), level);
}

void TrainingSession::request_stop() { impl_->stop = true; }

Evaluation TrainingSession::evaluate(const Dataset& data, int64_t batch, const ProgressCallback& on_progress) {
  return impl_->evaluate(data.handle().set, batch, on_progress);
}

double TrainingSession::learning_rate() const { return impl_->trainer->learning_rate(); }
void TrainingSession::set_learning_rate(double lr) {
  ET_REQUIRE(std::isfinite(lr) && lr >= 0, "learning rate must be a finite value >= 0, got {}", lr);
  impl_->trainer->set_learning_rate_override(lr);
}
void TrainingSession::clear_learning_rate() { impl_->trainer->set_learning_rate_override(std::nullopt); }
void TrainingSession::set_schedule(const ScheduleOptions& schedule) {
  impl_->trainer->set_schedule(api::to_internal(schedule));
  impl_->options.schedule = schedule;
}
int64_t TrainingSession::steps_done() const { return impl_->trainer->steps_done(); }
int TrainingSession::epochs_done() const { return impl_->epochs_done; }

void TrainingSession::save_checkpoint(const std::string& path,
                                      const std::map<std::string, std::string>& metadata) const {
  nlohmann::json training = options_json(impl_->options);
  training["epochs_done"] = impl_->epochs_done;
  training["metadata"] = metadata;
  std::vector<io::NamedTensor> extra;
  if (impl_->policy) {
    training["precision_policy"] = api::policy_json(impl_->policy->state());
    extra = api::policy_tensors(impl_->policy->state());
  }
  io::save_checkpoint(path, impl_->state->net, &impl_->trainer->optimizer_state(), training, std::move(extra));
}

void TrainingSession::set_precision(Precision precision) {
  Impl& s = *impl_;
  ET_REQUIRE(!s.policy, "this session follows the muppet schedule, which decides its precision");
  ET_REQUIRE(precision != Precision::muppet, "set_precision: the muppet schedule is chosen when the session is made");
  const Precision before = s.options.engine.precision;
  s.options.engine.precision = precision;
  try {
    s.recompile();
  } catch (...) {
    s.options.engine.precision = before;
    throw;
  }
}

Precision TrainingSession::precision() const { return api::precision_of(impl_->trainer->config().activations); }
std::vector<PrecisionDecision> TrainingSession::precision_decisions() const {
  std::vector<PrecisionDecision> d;
  if (impl_->policy)
    for (const PolicyDecision& x : impl_->policy->state().decisions) d.push_back(api::to_public(x));
  return d;
}

const std::map<std::string, std::string>& TrainingSession::metadata() const { return impl_->metadata; }
const TrainingOptions& TrainingSession::options() const { return impl_->options; }
MemoryBreakdown TrainingSession::memory() const { return api::to_public(impl_->trainer->plan().breakdown); }
PlanSummary TrainingSession::plan() const { return api::summarize(impl_->trainer->plan()); }
Model& TrainingSession::model() { return impl_->model; }
const Model& TrainingSession::model() const { return impl_->model; }

}  // namespace edgetrain
