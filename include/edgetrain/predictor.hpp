// Predictor: what a training configuration will cost on this device before it runs. Memory is the
// compiled plan's exact bytes plus the device profile's process memory (runtime, generated kernels)
// and the input batch; time comes from the profile's latency model (made once per device by
// `edgetrain calibrate`). Nothing is allocated or run.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "edgetrain/export.hpp"
#include "edgetrain/model.hpp"
#include "edgetrain/options.hpp"
#include "edgetrain/training_session.hpp"

namespace edgetrain {

// A configuration's predicted cost.
struct CostEstimate {
  MemoryBreakdown plan;            // the compiled step's exact bytes
  std::size_t process_bytes = 0;   // runtime, libraries, generated kernels (from the profile)
  std::size_t input_bytes = 0;     // one batch of images and labels
  std::size_t total_bytes = 0;     // plan.total + process + input: the process's peak
  double step_ms = 0;              // one training step: kernel_ms + overhead_ms
  double kernel_ms = 0;            // its kernels, each from the profile's latency model
  double overhead_ms = 0;          // the per-step runtime overhead around them
  double epoch_seconds = 0;        // ceil(epoch_samples / batch) steps
  bool winograd_dropped = false;   // Winograd convolutions were dropped to fit the memory budget
};

// What TrainingSession::fit holds at its peak, beyond the step: the whole training run's memory.
struct FitCostEstimate {
  CostEstimate step;                 // the training step, as estimate() gives it
  std::size_t data_bytes = 0;        // the training and test sets as stored
  std::size_t loader_bytes = 0;      // the loader's prepared batches (they replace step.input_bytes)
  std::size_t evaluation_bytes = 0;  // the per-epoch evaluation: its plan, generated kernels, batches
  std::size_t checkpoint_bytes = 0;  // the per-epoch checkpoint: tensor copies and the file's bytes
  // step.total_bytes - step.input_bytes + data + loader + the larger of evaluation (its kernels
  // aside: they stay cached) and checkpoint + evaluation's kernels
  std::size_t total_bytes = 0;
  int64_t epoch_samples = 0;         // samples one epoch trains (full batches of the training set)
  double epoch_seconds = 0;          // the training steps of one epoch
};

class EDGETRAIN_API Predictor {
 public:
  // A device profile written by `edgetrain calibrate` (JSON). Throws Error if missing or corrupt.
  static Predictor load(const std::string& profile_path);
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;
  ~Predictor();

  // The cost of training `model` with `options` over epochs of `epoch_samples` samples. With a
  // memory_budget (bytes of the whole process, unlike TrainingOptions::memory_budget, which bounds
  // the plan), Winograd convolutions are dropped when the total is over it and that makes it smaller,
  // as largest_batch() decides.
  CostEstimate estimate(const Model& model, const TrainingOptions& options, int64_t epoch_samples,
                        std::size_t memory_budget = 0) const;
  // The largest batch up to max_batch whose predicted total fits `memory_budget` bytes (Winograd
  // dropped where that makes it fit: estimate() with the same budget says so); 0 when even batch 1
  // does not.
  int64_t largest_batch(const Model& model, const TrainingOptions& options, std::size_t memory_budget,
                        int64_t max_batch = 4096) const;
  // The cost of the whole run session.fit(train, fit) would make with a session of `options`: the
  // step, the data sets, the loader, and the evaluation on fit.test (fit.eval_batch) or the
  // checkpoint at the end of every epoch, whichever is larger.
  FitCostEstimate estimate_fit(const Model& model, const TrainingOptions& options, const Dataset& train,
                               const FitOptions& fit = {}, std::size_t memory_budget = 0) const;
  std::string device() const;  // the CPU the profile was measured on
  int threads() const;         // the threads it was measured with

 private:
  struct Impl;
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetrain
