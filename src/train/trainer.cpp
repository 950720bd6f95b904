#include "train/trainer.hpp"

#include <chrono>
#include <cstring>

#include "core/check.hpp"

namespace edgetrain {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Trainer::Trainer(Network& model, const TrainConfig& config) : model_(model), config_(config) {
  optim::validate(config.optimizer);
  optim::validate(config.schedule);
  CompileOptions o;
  o.batch = config.batch;
  o.training = true;
  o.trainable = config.trainable;
  o.freeze_bn_stats = config.freeze_bn_stats;
  o.optimizer = config.optimizer;
  o.planner = config.planner;
  o.memory_budget = config.memory_budget;
  o.backend = config.backend;
  o.blocked_layouts = config.blocked_layouts;
  o.blocked_params = config.blocked_params;
  o.fuse_activations = config.fuse_activations;
  o.winograd = config.winograd;
  o.activations = config.activations;
  plan_ = compile(model.graph, o);
  optimizer_ = OptimizerState(model.graph, plan_.trainable, config.optimizer);
  executor_ = std::make_unique<Executor>(plan_, model.params, &optimizer_);
  executor_->set_seed(config.seed);
}

float Trainer::train_step(const float* images, const int32_t* labels) {
  std::memcpy(input_images(), images,
              static_cast<size_t>(plan_.value_shapes[static_cast<size_t>(model_.graph.input)].numel()) * sizeof(float));
  std::memcpy(input_labels(), labels, static_cast<size_t>(config_.batch) * sizeof(int32_t));
  return train_step();
}

double Trainer::learning_rate() const {
  return lr_override_ ? *lr_override_ : optim::lr_at(config_.schedule, config_.optimizer.lr, optimizer_.step);
}

void Trainer::set_schedule(const optim::ScheduleConfig& schedule) {
  optim::validate(schedule);
  config_.schedule = schedule;
}

float Trainer::train_step() {
  executor_->set_learning_rate(learning_rate());
  executor_->run();
  return executor_->loss();
}

int64_t Trainer::last_correct() const {
  const int32_t* pred = executor_->predictions();
  const int32_t* labels = input_labels();  // the labels survive the step
  int64_t correct = 0;
  for (int64_t i = 0; i < config_.batch; ++i) correct += pred[i] == labels[i];
  return correct;
}

std::vector<std::vector<float>> Trainer::epoch_end_gradients() const {
  std::vector<std::vector<float>> g(model_.graph.params.size());
  for (size_t p = 0; p < taps_.size() && p < g.size(); ++p) {
    if (taps_[p].empty()) continue;
    g[p] = executor_->row_major_gradient(static_cast<int>(p), taps_[p]);
    g[p].resize(static_cast<size_t>(model_.graph.params[p].shape.numel()));
  }
  return g;
}

EpochResult Trainer::train_epoch(data::BatchLoader& loader, int64_t epoch, const ProgressFn& progress,
                                 const std::atomic<bool>* stop) {
  ET_REQUIRE(loader.options().batch == config_.batch && loader.options().drop_last,
             "the training loader must use batch {} with drop_last", config_.batch);
  auto t0 = std::chrono::steady_clock::now();
  loader.start_epoch(epoch);
  EpochResult r;
  double loss_sum = 0;
  int64_t correct = 0, batches = 0, total = loader.batches_per_epoch();
  // The loader writes each batch straight into the step's input buffers (no copy of the batch).
  while (loader.next(input_images(), input_labels()) > 0) {
    const bool last = batches + 1 == total;
    executor_->set_gradient_taps(keep_epoch_end_ && last ? &taps_ : nullptr);
    loss_sum += train_step();
    correct += last_correct();
    ++batches;
    r.samples += config_.batch;
    if (progress)
      progress(batches, total, loss_sum / static_cast<double>(batches),
               static_cast<double>(correct) / static_cast<double>(r.samples));
    if (stop && stop->load(std::memory_order_relaxed) && batches < total) {
      r.stopped = true;
      break;
    }
  }
  r.loss = batches ? loss_sum / static_cast<double>(batches) : 0.0;
  r.accuracy = r.samples ? static_cast<double>(correct) / static_cast<double>(r.samples) : 0.0;
  r.seconds = seconds_since(t0);
  return r;
}

Evaluator::Evaluator(const Network& model, int64_t batch, CompileOptions options) : model_(model) {
  options.batch = batch;
  options.training = false;
  plan_ = compile(model.graph, options);
  exec_ = std::make_unique<Executor>(plan_, model.params, nullptr);
}

EvalResult Evaluator::run(std::shared_ptr<const data::Dataset> dataset, const ProgressFn& progress, bool normalize) {
  auto t0 = std::chrono::steady_clock::now();
  const int64_t batch = plan_.batch;
  data::LoaderOptions lo;
  lo.batch = batch;
  lo.shuffle = false;
  if (normalize) {
    lo.augment.mean = model_.info.mean;
    lo.augment.std = model_.info.std;
  }
  data::BatchLoader loader(dataset, lo);
  loader.start_epoch(0);
  const int64_t sample = plan_.value_shapes[static_cast<size_t>(model_.graph.input)].numel_from(1);
  float* images = exec_->input_images();  // the loader writes into the step's input buffers
  int32_t* labels = exec_->input_labels();
  EvalResult r;
  double loss_sum = 0;
  int64_t correct = 0, batches = 0, total = loader.batches_per_epoch();
  while (int64_t n = loader.next(images, labels)) {
    for (int64_t i = n; i < batch; ++i) {  // pad a short batch with copies of its first sample
      std::copy_n(images, sample, images + i * sample);
      labels[i] = labels[0];
    }
    exec_->run();
    const int32_t* pred = exec_->predictions();
    for (int64_t i = 0; i < n; ++i) correct += pred[i] == labels[i];
    if (n == batch) loss_sum += static_cast<double>(exec_->loss()) * static_cast<double>(n);
    r.samples += n;
    ++batches;
    if (progress) progress(batches, total, 0.0, static_cast<double>(correct) / static_cast<double>(r.samples));
  }
  int64_t full = (r.samples / batch) * batch;
  r.loss = full ? loss_sum / static_cast<double>(full) : 0.0;
  r.accuracy = r.samples ? static_cast<double>(correct) / static_cast<double>(r.samples) : 0.0;
  r.seconds = seconds_since(t0);
  return r;
}

EvalResult evaluate(const Network& model, std::shared_ptr<const data::Dataset> dataset, int64_t batch,
                    const ProgressFn& progress, BackendChoice backend) {
  CompileOptions o;
  o.backend = backend;
  return Evaluator(model, std::max<int64_t>(1, std::min(batch, dataset->size())), o).run(std::move(dataset), progress);
}

}  // namespace edgetrain
