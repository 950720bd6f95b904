// Executor: binds a Plan to memory once (one arena for every planned buffer, the parameter store,
// the optimizer state) and runs steps. run() allocates nothing and throws nothing past its input
// check: everything that can fail happened in compile() or in the constructor. (The one exception: a
// parameter someone read row-major since the last step is converted back to the plan's layout first,
// through a temporary copy — see ParameterStore.)
#pragma once
#include <vector>

#include "core/aligned_buffer.hpp"
#include "memory/parameter_store.hpp"
#include "runtime/optimizer_state.hpp"
#include "runtime/plan.hpp"

namespace edgetrain {

class Executor {
 public:
  // `optimizer` may be null for an inference plan.
  Executor(const Plan& plan, const ParameterStore& params, OptimizerState* optimizer);

  // Copies the batch in ([batch, C, H, W] floats, [batch] labels) and runs the whole step.
  // Throws Error only if a label is out of range (checked before any step runs).
  void run(const float* images, const int32_t* labels);
  // Zero-copy input: a loader writes the batch straight into the plan's input and label buffers, then
  // run() runs the step on them. The images' bytes are reused by later steps (the input lives until its
  // last reader), so they must be written again before each run; the labels survive the step.
  float* input_images() const { return reinterpret_cast<float*>(buffer_data(plan_.input_buffer)); }
  int32_t* input_labels() const { return reinterpret_cast<int32_t*>(buffer_data(plan_.labels_buffer)); }
  void run();

  void set_learning_rate(double lr) { lr_ = lr; }
  void set_seed(uint64_t seed) { seed_ = seed; }  // dropout masks derive from seed and step count
  // When set, run() writes each step's wall time in milliseconds to (*ms)[i] (sized once here, so
  // run() still allocates nothing): the calibration data of the latency predictor. nullptr: off.
  void set_step_times(std::vector<double>* ms);
  // When set, each update step first copies its parameter's gradient, in the parameter's layout, into
  // (*taps)[p] (sized here, so run() still allocates nothing; a frozen parameter's stays empty).
  // nullptr: off. Read them with row_major_gradient.
  void set_gradient_taps(std::vector<std::vector<float>>* taps);
  // A tap's gradient of parameter p, row-major.
  std::vector<float> row_major_gradient(int p, const std::vector<float>& tap) const;
  float loss() const;
  const int32_t* predictions() const;          // [batch] argmax of the logits
  const std::byte* arena() const { return arena_.data(); }
  TensorView buffer(int request) const;        // a planned buffer (tests, inspection)
  std::byte* buffer_data(int request) const;   // its bytes (allocation-free)
  // Parameter p's gradient after a step, row-major (a copy: the buffer holds it in the parameter's
  // layout); empty for a frozen parameter. For tests and inspection.
  std::vector<float> param_gradient(int p) const;
  const Plan& plan() const { return plan_; }
  int64_t steps_run() const { return runs_; }

 private:
  TensorView resolve(const TensorRef& ref) const;
  void adopt_param_layouts() const;

  const Plan& plan_;
  const ParameterStore& params_;
  OptimizerState* optimizer_;
  AlignedBuffer arena_;
  std::vector<KernelArgs> args_;  // per step, bound once
  double lr_ = 0.0;
  uint64_t seed_ = 0;
  uint64_t step_seed_ = 0;
  // Per step: the seed its kernel draws from, (run seed, graph node) mixed, so that two stochastic
  // nodes of the same shape do not draw the same mask.
  std::vector<uint64_t> step_seeds_;
  int64_t runs_ = 0;
  std::vector<double>* step_ms_ = nullptr;
  std::vector<std::vector<float>>* gradient_taps_ = nullptr;
};

}  // namespace edgetrain
