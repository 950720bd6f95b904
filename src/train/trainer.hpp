// Trainer: the epoch loop over a compiled training step — feeds batches from a loader, applies the
// learning-rate schedule, and reports loss and accuracy. evaluate() runs an inference plan.
#pragma once
#include <functional>
#include <memory>

#include "data/loader.hpp"
#include "graph/trainable.hpp"
#include "optim/schedule.hpp"
#include "runtime/compile.hpp"
#include "runtime/executor.hpp"
#include "runtime/model.hpp"

namespace edgetrain {

struct TrainConfig {
  int64_t batch = 64;
  optim::OptimizerConfig optimizer;
  optim::ScheduleConfig schedule;  // in iterations (optimizer steps)
  TrainableSpec trainable;
  bool freeze_bn_stats = false;
  std::size_t memory_budget = 0;
  PlannerKind planner = planner_from_env();
  uint64_t seed = 1;  // dropout masks
  std::string backend = "auto";
};

struct EpochResult {
  double loss = 0;      // mean over the epoch's batches
  double accuracy = 0;  // of the training predictions
  int64_t samples = 0;
  double seconds = 0;
};

// Called after each batch: (batches done, batches total, running loss, running accuracy).
using ProgressFn = std::function<void(int64_t, int64_t, double, double)>;

class Trainer {
 public:
  Trainer(Model& model, const TrainConfig& config);

  const Plan& plan() const { return plan_; }
  OptimizerState& optimizer_state() { return optimizer_; }
  const TrainConfig& config() const { return config_; }

  // Trains on every full batch of the loader's epoch `epoch` (the loader must use drop_last).
  EpochResult train_epoch(data::BatchLoader& loader, int64_t epoch, const ProgressFn& progress = {});
  // One step on caller memory (copied in). Returns the loss.
  float train_step(const float* images, const int32_t* labels);
  // One step on the batch written into input_images() / input_labels() (zero-copy: see Executor).
  float train_step();
  float* input_images() const { return executor_->input_images(); }
  int32_t* input_labels() const { return executor_->input_labels(); }

 private:
  Model& model_;
  TrainConfig config_;
  Plan plan_;
  OptimizerState optimizer_;
  std::unique_ptr<Executor> executor_;
};

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  int64_t samples = 0;
  double seconds = 0;
};

// Evaluates on the whole dataset (normalised with the model's mean/std), batch by batch; the short
// last batch is padded and only its real samples count.
EvalResult evaluate(const Model& model, std::shared_ptr<const data::Dataset> dataset, int64_t batch,
                    const ProgressFn& progress = {}, const std::string& backend = "auto");

}  // namespace edgetrain
