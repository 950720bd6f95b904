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

Trainer::Trainer(Model& model, const TrainConfig& config) : model_(model), config_(config) {
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
  plan_ = compile(model.graph, o);
  optimizer_ = OptimizerState(model.graph, plan_.trainable, config.optimizer);
  executor_ = std::make_unique<Executor>(plan_, model.params, &optimizer_);
  executor_->set_seed(config.seed);
}

float Trainer::train_step(const float* images, const int32_t* labels) {
  std::memcpy(input_images(), images, static_cast<size_t>(plan_.value_shapes[static_cast<size_t>(model_.graph.input)].numel()) * sizeof(float));
  std::memcpy(input_labels(), labels, static_cast<size_t>(config_.batch) * sizeof(int32_t));
  return train_step();
}

float Trainer::train_step() {
  executor_->set_learning_rate(optim::lr_at(config_.schedule, config_.optimizer.lr, optimizer_.step));
  executor_->run();
  return executor_->loss();
}

EpochResult Trainer::train_epoch(data::BatchLoader& loader, int64_t epoch, const ProgressFn& progress) {
  ET_REQUIRE(loader.options().batch == config_.batch && loader.options().drop_last,
             "the training loader must use batch {} with drop_last", config_.batch);
  auto t0 = std::chrono::steady_clock::now();
  loader.start_epoch(epoch);
  EpochResult r;
  double loss_sum = 0;
  int64_t correct = 0, batches = 0, total = loader.batches_per_epoch();
  // The loader writes each batch straight into the step's input buffers (no copy of the batch).
  while (loader.next(input_images(), input_labels()) > 0) {
    loss_sum += train_step();
    const int32_t* pred = executor_->predictions();
    const int32_t* labels = input_labels();  // the labels survive the step
    for (int64_t i = 0; i < config_.batch; ++i) correct += pred[i] == labels[i];
    ++batches;
    r.samples += config_.batch;
    if (progress) progress(batches, total, loss_sum / static_cast<double>(batches),
                           static_cast<double>(correct) / static_cast<double>(r.samples));
  }
  r.loss = batches ? loss_sum / static_cast<double>(batches) : 0.0;
  r.accuracy = r.samples ? static_cast<double>(correct) / static_cast<double>(r.samples) : 0.0;
  r.seconds = seconds_since(t0);
  return r;
}

EvalResult evaluate(const Model& model, std::shared_ptr<const data::Dataset> dataset, int64_t batch,
                    const ProgressFn& progress, const std::string& backend) {
  auto t0 = std::chrono::steady_clock::now();
  batch = std::max<int64_t>(1, std::min(batch, dataset->size()));
  CompileOptions o;
  o.batch = batch;
  o.training = false;
  o.backend = backend;
  Plan plan = compile(model.graph, o);
  Executor exec(plan, model.params, nullptr);
  data::LoaderOptions lo;
  lo.batch = batch;
  lo.shuffle = false;
  lo.augment.mean = model.info.mean;
  lo.augment.std = model.info.std;
  data::BatchLoader loader(dataset, lo);
  loader.start_epoch(0);
  const int64_t sample = plan.value_shapes[static_cast<size_t>(model.graph.input)].numel_from(1);
  float* images = exec.input_images();  // the loader writes into the step's input buffers
  int32_t* labels = exec.input_labels();
  EvalResult r;
  double loss_sum = 0;
  int64_t correct = 0, batches = 0, total = loader.batches_per_epoch();
  while (int64_t n = loader.next(images, labels)) {
    for (int64_t i = n; i < batch; ++i) {  // pad a short batch with copies of its first sample
      std::copy_n(images, sample, images + i * sample);
      labels[i] = labels[0];
    }
    exec.run();
    const int32_t* pred = exec.predictions();
    for (int64_t i = 0; i < n; ++i) correct += pred[i] == labels[i];
    if (n == batch) loss_sum += static_cast<double>(exec.loss()) * static_cast<double>(n);
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

}  // namespace edgetrain
