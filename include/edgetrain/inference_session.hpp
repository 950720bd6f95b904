// InferenceSession: a model's forward pass compiled once for a largest batch; runs on caller memory as
// often as needed. It reads the model's current weights on every run, so a model trained between runs
// (the on-device loop) is served with its latest parameters.
//
// Lifetime: keeps the model's network alive; moves safely; not copyable. Threads: one thread per
// session; several sessions over one const Model may run at once.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "edgetrain/export.hpp"
#include "edgetrain/model.hpp"
#include "edgetrain/options.hpp"

namespace edgetrain {

// What an InferenceSession compiles.
struct InferenceOptions {
  int64_t batch = 1;             // the largest batch a run takes
  bool normalize_inputs = true;  // apply the model's mean/std (false: images already normalised)
  EngineOptions engine;          // kernels and layouts
};

// One of the k best classes of a sample.
struct Prediction {
  int32_t label = 0;        // class index
  float probability = 0;    // softmax probability
};

class EDGETRAIN_API InferenceSession {
 public:
  // Compiles the forward pass (throws Error on invalid options).
  InferenceSession(const Model& model, const InferenceOptions& options = {});
  // The forward pass the constructor would compile, described, without allocating it.
  static PlanSummary preview(const Model& model, const InferenceOptions& options = {});
  InferenceSession(InferenceSession&&) noexcept;
  InferenceSession& operator=(InferenceSession&&) noexcept;
  ~InferenceSession();
  InferenceSession(const InferenceSession&) = delete;
  InferenceSession& operator=(const InferenceSession&) = delete;

  // Logits of n images [n, C, H, W] (1 <= n <= max_batch()): a pointer to [n, K] floats, valid until
  // the next call. Allocates nothing after the first run.
  const float* run(const float* images, int64_t n);
  // The same into caller memory: logits [n, K].
  void run(const float* images, int64_t n, float* logits);
  std::vector<float> logits(const float* images, int64_t n);         // [n, K]
  std::vector<float> probabilities(const float* images, int64_t n);  // softmax of the logits, [n, K]
  // The k most probable classes of each image, best first: [n][k].
  std::vector<std::vector<Prediction>> top_k(const float* images, int64_t n, int k);

  // Makes batches up to `batch` possible: nothing to do when the plan already takes them, else a
  // recompile.
  void reserve(int64_t batch);
  int64_t max_batch() const;           // largest n run() takes without recompiling
  int64_t num_classes() const;         // K
  std::vector<int64_t> input_chw() const;  // {C, H, W}
  MemoryBreakdown memory() const;      // the planned bytes
  PlanSummary plan() const;            // the compiled forward pass, described
  int64_t compiles() const;            // times the forward pass was compiled (1 + reserve()s that grew it)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetrain
