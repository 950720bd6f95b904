#include "train/trainer.hpp"

#include <chrono>

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
  const Shape in = plan_.value_shapes[static_cast<size_t>(model.graph.input)];
  images_.resize(static_cast<size_t>(in.numel()));
  labels_.resize(static_cast<size_t>(config.batch));
}

float Trainer::train_step(const float* images, const int32_t* labels) {
  executor_->set_learning_rate(optim::lr_at(config_.schedule, config_.optimizer.lr, optimizer_.step));
  executor_->run(images, labels);
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
  while (loader.next(images_.data(), labels_.data()) > 0) {
    loss_sum += train_step(images_.data(), labels_.data());
    const int32_t* pred = executor_->predictions();
    for (int64_t i = 0; i < config_.batch; ++i) correct += pred[i] == labels_[static_cast<size_t>(i)];
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
  const Shape in = plan.value_shapes[static_cast<size_t>(model.graph.input)];
  const int64_t sample = in.numel_from(1);
  std::vector<float> images(static_cast<size_t>(in.numel()));
  std::vector<int32_t> labels(static_cast<size_t>(batch));
  EvalResult r;
  double loss_sum = 0;
  int64_t correct = 0, batches = 0, total = loader.batches_per_epoch();
  while (int64_t n = loader.next(images.data(), labels.data())) {
    for (int64_t i = n; i < batch; ++i) {  // pad a short batch with copies of its first sample
      std::copy_n(images.data(), sample, images.data() + i * sample);
      labels[static_cast<size_t>(i)] = labels[0];
    }
    exec.run(images.data(), labels.data());
    const int32_t* pred = exec.predictions();
    for (int64_t i = 0; i < n; ++i) correct += pred[i] == labels[static_cast<size_t>(i)];
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
