// TrainingSession: one training step of a model compiled once — kernels chosen, every buffer planned,
// memory known before anything runs — and the recipe around it: single steps on caller memory, fit()
// over a data set with callbacks and cancellation, evaluation, checkpoints and exact resume.
//
// Lifetime: the session keeps its model's network alive and trains it in place (model() and the
// Model it was made from see every update, until prune() gives the session a new model). Sessions move safely; they are not copyable.
// Threads: one thread at a time drives a session; request_stop() may be called from any thread.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgetrain/data.hpp"
#include "edgetrain/export.hpp"
#include "edgetrain/model.hpp"
#include "edgetrain/options.hpp"

namespace edgetrain {

// What a TrainingSession compiles.
struct TrainingOptions {
  int64_t batch = 32;                 // samples per step
  Trainable trainable;                // which parameters train
  OptimizerOptions optimizer;         // update rule and hyper-parameters
  ScheduleOptions schedule;           // learning rate over the steps
  bool freeze_bn = false;             // BatchNorm normalises with its running statistics
  std::size_t memory_budget = 0;      // bytes the step may plan (0: no limit); over it: Error at construction
  uint64_t seed = 1;                  // dropout masks
  bool normalize_inputs = true;       // apply the model's mean/std to caller batches (false: already normalised)
  EngineOptions engine;               // kernels and layouts
  PrecisionScheduleOptions precision_schedule;  // with engine.precision = muppet
};

// One step's outcome.
struct StepResult {
  float loss = 0;        // mean cross-entropy of the batch
  int64_t correct = 0;   // samples whose top-1 prediction equals the label
  int64_t samples = 0;   // the batch size
};

// Data augmentation that fit() applies to training samples.
struct Augmentation {
  int crop_padding = 0;          // zero-pad by this much, crop back at a random offset
  bool horizontal_flip = false;  // mirror with probability 1/2
};

// Progress inside an epoch (fit's on_step).
struct StepProgress {
  int epoch = 0;              // 1-based
  int64_t step = 0;           // 1-based within the epoch
  int64_t steps = 0;          // steps in the epoch
  double loss = 0;            // running mean over the epoch
  double accuracy = 0;        // running training accuracy
};

// What the muppet precision schedule (Precision::muppet) decided at one epoch's end: MuPPET's
// gradient diversity S of the epoch-end gradients, estimated every `resolution` epochs, against the
// largest since the last switch; max S / S > threshold is a violation, and enough violations move
// training to the next precision (fx8 → fx12 → fx14 → fx16 → f32).
struct PrecisionDecision {
  int epoch = 0;                          // the epoch that ended (1-based)
  Precision trained_in = Precision::fx8;  // the precision it trained in
  bool estimated = false;                 // a diversity estimate was made at its end
  double diversity = 0;                   // S (when estimated)
  double max_diversity = 0;               // max S since the last switch
  double threshold = 0;                   // T(epoch) = 1 + 1.5 e^(-0.1 epoch)
  int violations = 0;                     // counted since the last switch
  Precision next = Precision::fx8;        // the precision of the next epoch
};

// One finished epoch (fit's on_epoch, and FitResult).
struct EpochReport {
  int epoch = 0;                  // 1-based
  int epochs = 0;                 // of the whole run
  double train_loss = 0, train_accuracy = 0;
  int64_t samples = 0;            // trained
  double seconds = 0;             // training time of the epoch
  std::optional<Evaluation> test; // when fit had test data
  Precision precision = Precision::f32;            // what it trained in
  std::optional<PrecisionDecision> precision_decision;  // with Precision::muppet
};

// How fit() runs.
struct FitOptions {
  int epochs = 1;                   // total epochs; a resumed session continues from epochs_done()
  int stop_after = 0;               // stop after this many epochs of this call (0: run to `epochs`)
  std::optional<Dataset> test;      // evaluated after every epoch
  int64_t eval_batch = 256;         // batch size of that evaluation
  Augmentation augment;             // training augmentation
  uint64_t data_seed = 1;           // shuffling and augmentation (a function of seed and epoch)
  std::string checkpoint;           // written atomically after every epoch ("" : none)
  std::map<std::string, std::string> checkpoint_metadata;  // stored with it (read back by metadata())
  // Called after every step; return false to stop after it (the epoch is not finished nor saved).
  std::function<bool(const StepProgress&)> on_step;
  // Called after every epoch (after its checkpoint); return false to stop there.
  std::function<bool(const EpochReport&)> on_epoch;
  // Called after each batch of the per-epoch evaluation.
  ProgressCallback on_eval_progress;
};

// What fit() did.
struct FitResult {
  std::vector<EpochReport> epochs;  // finished in this call
  bool stopped = false;             // a callback or request_stop() ended it early
  double train_seconds = 0;         // time in training epochs
  int64_t samples = 0;              // trained in this call
};

class EDGETRAIN_API TrainingSession {
 public:
  // Compiles the training step for `model` (throws Error: invalid options, a budget the step cannot
  // fit, a spec selecting no parameter). The model's normalisation must be set before (see
  // Model::set_normalization / Dataset::statistics) if inputs are to be normalised.
  TrainingSession(Model& model, const TrainingOptions& options = {});
  // Continues the run saved in `checkpoint` exactly (weights, optimizer state, step and epoch counts,
  // options): data order, augmentation and dropout follow as if it had never stopped.
  static TrainingSession resume(const std::string& checkpoint);
  // Whether `checkpoint` holds a training run resume() can continue (a TrainingSession wrote it)
  // rather than a model alone. Throws Error when the file is missing or damaged.
  static bool can_resume(const std::string& checkpoint);
  // The step the constructor would compile, described, without allocating it (throws like it).
  static PlanSummary preview(const Model& model, const TrainingOptions& options);

  TrainingSession(TrainingSession&&) noexcept;
  TrainingSession& operator=(TrainingSession&&) noexcept;
  ~TrainingSession();
  TrainingSession(const TrainingSession&) = delete;
  TrainingSession& operator=(const TrainingSession&) = delete;

  // One step on caller memory: images [batch, C, H, W] floats (in [0, 1] unless normalize_inputs is
  // false), labels [batch] in 0..K-1. Copied in; allocates nothing after the first step. Throws
  // Error only for a null pointer or a label out of range (before the step runs).
  StepResult step(const float* images, const int32_t* labels);
  // Zero-copy: write the batch (already normalised) into input_images() / input_labels(), then step().
  // The images must be written again before each step; the labels survive it.
  float* input_images();
  int32_t* input_labels();
  StepResult step();

  // Trains over `train` (full batches, shuffled per epoch) from epochs_done() up to options.epochs.
  FitResult fit(const Dataset& train, const FitOptions& options);
  // Prunes the model being trained: the channels `ranking` ranks lowest are removed, about `level`
  // of the parameters (0..1), and training goes on from here — optimizer state (momentum, Adam
  // moments) sliced like the weights, step and epoch counts, schedule and learning-rate override
  // kept. Returns the level reached. The step is recompiled (throws Error, the session unchanged,
  // when the ranking is of another model); model() is then a new, smaller model, while the Model the
  // session was made from, and sessions over it, keep the unpruned network.
  double prune(const ChannelRanking& ranking, double level);
  // Asks a running fit() to stop after the current step (any thread).
  void request_stop();

  // Loss and accuracy of the model on `data` in inference mode (compiles an inference plan once
  // per batch size and keeps it).
  Evaluation evaluate(const Dataset& data, int64_t batch = 256, const ProgressCallback& on_progress = {});

  double learning_rate() const;        // of the next step (the schedule's value, or the override)
  void set_learning_rate(double lr);   // overrides the schedule from now on
  void clear_learning_rate();          // back to the schedule
  void set_schedule(const ScheduleOptions& schedule);  // a new schedule from the next step on (e.g. a longer run)
  int64_t steps_done() const;          // optimizer steps, counted across resumes
  int epochs_done() const;             // epochs fit() finished, counted across resumes

  // Writes weights, statistics, optimizer state, counters and options atomically; resume() continues.
  void save_checkpoint(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
  // The metadata stored with the checkpoint this session resumed from (empty otherwise).
  const std::map<std::string, std::string>& metadata() const;

  const TrainingOptions& options() const;  // as compiled (base lr resolved)
  // The precision the next step trains in (engine.precision, or muppet's current regime).
  Precision precision() const;
  // Trains in `precision` from the next step on (not muppet; not in a muppet session, whose schedule
  // decides): the step is recompiled, weights, optimizer state and counters carried over; options()
  // and checkpoints then name the new precision. Throws Error, the session unchanged, when it cannot.
  void set_precision(Precision precision);
  // Every epoch-end decision of the muppet schedule, across resumes (empty for other precisions).
  std::vector<PrecisionDecision> precision_decisions() const;
  MemoryBreakdown memory() const;          // the planned bytes
  PlanSummary plan() const;                // the compiled step, described
  Model& model();                          // the model being trained
  const Model& model() const;

  struct Impl;

 private:
  explicit TrainingSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetrain
