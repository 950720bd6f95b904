// Trainer: the epoch loop over a compiled training step — feeds batches from a loader, applies the
// learning-rate schedule, and reports loss and accuracy. evaluate() runs an inference plan.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "compile/compile.hpp"
#include "data/loader.hpp"
#include "graph/trainable.hpp"
#include "kernels/backend.hpp"
#include "optim/schedule.hpp"
#include "runtime/executor.hpp"
#include "runtime/network.hpp"

namespace edgetrain {

struct TrainConfig {
  int64_t batch = 64;
  optim::OptimizerConfig optimizer;
  optim::ScheduleConfig schedule;  // in iterations (optimizer steps)
  TrainableSpec trainable;
  bool freeze_bn_stats = false;
  std::size_t memory_budget = 0;
  PlannerKind planner = PlannerKind::greedy_by_size;
  uint64_t seed = 1;      // dropout masks
  BackendChoice backend;  // where kernel selection starts (kernels/backend.hpp); unset: automatic
  // Engine switches (see CompileOptions).
  bool blocked_layouts = true, blocked_params = true, fuse_activations = true, winograd = true;
  DType activations = DType::f32;  // f32 or bf16 activations and gradients (compile/precision.hpp)
};

struct EpochResult {
  double loss = 0;      // mean over the epoch's batches
  double accuracy = 0;  // of the training predictions
  int64_t samples = 0;
  double seconds = 0;
  bool stopped = false;  // the stop flag ended the epoch early
};

// Called after each batch: (batches done, batches total, running loss, running accuracy).
using ProgressFn = std::function<void(int64_t, int64_t, double, double)>;

class Trainer {
 public:
  Trainer(Network& model, const TrainConfig& config);

  const Plan& plan() const { return plan_; }
  OptimizerState& optimizer_state() { return optimizer_; }
  const TrainConfig& config() const { return config_; }

  // Trains on every full batch of the loader's epoch `epoch` (the loader must use drop_last); a set
  // `stop` flag ends it after the current step (EpochResult::stopped).
  EpochResult train_epoch(data::BatchLoader& loader, int64_t epoch, const ProgressFn& progress = {},
                          const std::atomic<bool>* stop = nullptr);
  // One step on caller memory (copied in). Returns the loss.
  float train_step(const float* images, const int32_t* labels);
  // One step on the batch written into input_images() / input_labels() (zero-copy: see Executor).
  float train_step();
  float* input_images() const { return executor_->input_images(); }
  int32_t* input_labels() const { return executor_->input_labels(); }
  // Samples of the last step whose top-1 prediction equals its label.
  int64_t last_correct() const;
  // The learning rate of the next step: the override when set, else the schedule's.
  double learning_rate() const;
  void set_learning_rate_override(std::optional<double> lr) { lr_override_ = lr; }
  std::optional<double> learning_rate_override() const { return lr_override_; }
  void set_schedule(const optim::ScheduleConfig& schedule);
  int64_t steps_done() const { return optimizer_.step; }
  // Keep the gradients of each epoch's last step (the precision policy reads them); off by default.
  void keep_epoch_end_gradients(bool keep) { keep_epoch_end_ = keep; }
  // Per parameter, row-major, of the last epoch's last step (empty: frozen, or not kept).
  std::vector<std::vector<float>> epoch_end_gradients() const;

 private:
  Network& model_;
  TrainConfig config_;
  Plan plan_;
  OptimizerState optimizer_;
  std::unique_ptr<Executor> executor_;
  std::optional<double> lr_override_;
  bool keep_epoch_end_ = false;
  std::vector<std::vector<float>> taps_;  // the last step's gradients, in the plan's layouts
};

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  int64_t samples = 0;
  double seconds = 0;
};

// An inference plan of a network compiled once, evaluated on data sets as often as needed.
class Evaluator {
 public:
  // `options` gives the engine settings (backend, layouts, planner); batch and training are set here.
  Evaluator(const Network& model, int64_t batch, CompileOptions options = {});
  // Evaluates on the whole dataset (normalised with the model's mean/std unless `normalize` is
  // false), batch by batch; the short last batch is padded and only its real samples count.
  EvalResult run(std::shared_ptr<const data::Dataset> dataset, const ProgressFn& progress = {}, bool normalize = true);
  int64_t batch() const { return plan_.batch; }

 private:
  const Network& model_;
  Plan plan_;
  std::unique_ptr<Executor> exec_;
};

// Evaluator(model, min(batch, dataset size), backend).run(dataset, progress): compiles each call.
EvalResult evaluate(const Network& model, std::shared_ptr<const data::Dataset> dataset, int64_t batch,
                    const ProgressFn& progress = {}, BackendChoice backend = std::nullopt);

}  // namespace edgetrain
