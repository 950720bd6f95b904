// Adapter: partial domain adaptation on the device (LoCO-PDA, METHODS §2). It wraps a deployed model
// and serves it: observe() answers every frame at once and feeds what the adapter learns of the
// stream — which classes it actually sees. When that subset S is small and stable, the adapter
// restricts the classifier to S, prunes the network on buffered frames, retrains it and, if it is
// better on held-back frames, serves the smaller model instead; frames the adapted model is unsure of
// are answered by the original model, so a class outside S is still named and the drift is noticed;
// when S drifts the adapter adapts again, when the stream returns to many classes it serves the
// original again.
//
// Labels are optional: a labelled frame (user feedback) is buffered with its label; an unlabelled one
// is buffered only when the model is at least `label_confidence` sure, with its prediction standing in
// for the label (self-training: it confirms the model's errors on those frames, so with no labels at
// all the adaptation can only sharpen what the model already gets right).
//
// Threads: observe() and the other members are called from one thread; with `background` the
// retraining runs on a worker thread of the adapter while observe() keeps serving.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgetrain/export.hpp"
#include "edgetrain/model.hpp"
#include "edgetrain/options.hpp"
#include "edgetrain/pruning.hpp"

namespace edgetrain {

struct AdapterOptions {
  // Observe.
  int64_t window = 400;       // frames the class shares are taken over
  double subset_mass = 0.95;  // S: the fewest classes holding this share of the window's frames
  // The shares S is taken from: the EM estimate of the window's label prior (true: corrects for the
  // model's confusions, which put shares on classes the stream does not hold) or the top-1 histogram.
  bool em_shares = true;
  std::vector<double> source_prior;  // the prior the model was trained under (empty: uniform)
  int64_t buffer_capacity = 600;     // frames buffered for retraining, balanced across classes
  double label_confidence = 0.9;     // an unlabelled frame is buffered, as its prediction, above this
  int64_t audit_every = 25;          // with an adapted model, every n-th frame also runs the original (0: never)
  // Decide.
  double max_subset_share = 0.5;      // adapt only when |S| is at most this share of the classes
  int64_t stable_frames = 200;        // ... S unchanged for this many frames
  int64_t min_frames_per_class = 20;  // ... and this many buffered frames of every class of S
  double drift = 0.34;                // adapt again when the Jaccard distance to the adapted S exceeds it
  double fallback_confidence = 0.6;   // the adapted model below this: the original answers the frame
  // Drift alarm: the original serves again at once when this share of the last 40 checked frames
  // (labelled, or answered confidently by the original on an audit) lies outside the adapted classes.
  double alarm_share = 0.3;
  // Shrink and retrain.
  std::vector<double> prune_levels{0.5, 0.3, 0.0};  // tried in order: the first whose cost fits the budgets
  // What retrains, tried in order at each batch size (Trainable::parse syntax): the first that fits.
  std::vector<std::string> trainable_specs{"all", "last:3", "classifier"};
  PruneCriterion criterion = PruneCriterion::activation;  // channel ranking, on the buffered frames
  int epochs = 6;
  int64_t batch = 16;
  double learning_rate = 0.01;     // SGD with momentum 0.9
  int hold_back_every = 5;         // every n-th buffered frame of each class validates, the rest train
  std::size_t memory_budget = 0;   // bytes of the whole retraining process (needs device_profile); 0: none
  double time_budget_seconds = 0;  // predicted retraining time (needs device_profile); 0: none
  std::string device_profile;      // `edgetrain calibrate` output, for the budgets
  bool background = true;          // retrain on a worker thread (false: inside the observe() that decides)
  std::string state_dir;           // where the adapter keeps its state across restarts ("": nowhere)
  EngineOptions engine;
};

// What observe() answers.
struct AdapterPrediction {
  int32_t label = 0;         // in the deployed model's classes
  float probability = 0;     // of that class, by the model that answered
  bool by_original = false;  // the original model answered (no adapted model, or it was unsure)
};

// One adaptation: what was seen, what was chosen and why, and what it gave.
struct AdaptationReport {
  int64_t frame = 0;            // stream position that triggered it
  std::vector<int32_t> subset;  // S
  double level = 0;             // pruning level asked
  int64_t batch = 0;
  std::string trainable;            // what retrained (Trainable::parse syntax)
  std::string why;                  // how the configuration was chosen (budgets, predictions)
  double predicted_seconds = 0;     // retraining, predicted (0 without a device profile)
  double seconds = 0;               // retraining, measured
  std::size_t predicted_bytes = 0;  // retraining process peak, predicted (0 without a profile)
  std::size_t plan_bytes = 0;       // the training step's planned bytes (exact)
  std::size_t peak_rss_bytes = 0;   // process peak resident memory after retraining
  int64_t held_back = 0;            // validation frames
  double accuracy_before = 0;       // the serving model's on them
  double accuracy_after = 0;        // the adapted model's
  double latency_before_ms = 0;     // one-frame inference, serving model
  double latency_after_ms = 0;      // adapted model
  int64_t params_before = 0, params_after = 0;
  bool accepted = false;  // it serves now (else rolled back)
};

class EDGETRAIN_API Adapter {
 public:
  // Serves `deployed`. With a state_dir holding an earlier adapter's state, resumes serving its last
  // good model (a damaged state: the deployed model, and status() says why). Throws Error for invalid
  // options (budgets without a device profile, thresholds outside their range).
  explicit Adapter(Model deployed, const AdapterOptions& options = {});
  Adapter(Adapter&&) noexcept;
  Adapter& operator=(Adapter&&) noexcept;
  ~Adapter();  // stops a running adaptation and waits for it

  // One frame [C, H, W] (values in [0, 1], as the model's sessions take them), with its label when
  // the application knows it. Answers with the serving model; may start an adaptation.
  AdapterPrediction observe(const float* frame, std::optional<int32_t> label = std::nullopt);

  bool adapting() const;                        // a background adaptation is running
  void wait();                                  // until it has finished (and its model, if accepted, serves)
  int64_t frames() const;                       // observed so far
  std::vector<int32_t> subset() const;          // S over the current window (updated every 10 frames)
  std::vector<int32_t> adapted_subset() const;  // the classes the serving model answers (empty: the original serves)
  std::vector<double> label_prior() const;      // EM estimate of the window's label prior (empty before a frame)
  std::vector<AdaptationReport> reports() const;
  std::string status() const;    // the last decision or problem, in words
  const Model& serving() const;  // the model answering frames now

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetrain
