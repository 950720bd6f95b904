// The predictor: a training configuration's memory and step time on a calibrated device, from its
// compiled plan alone (nothing is allocated or run). Memory: the plan's exact bytes, plus the
// process around it (device profile) and the caller's input buffers. Time: the latency model's
// estimate for every step of the plan — kernels, gradient accumulations, optimizer updates — plus
// the executor's overhead.
#pragma once
#include <cstddef>
#include <vector>

#include "predict/device_profile.hpp"
#include "predict/step_features.hpp"
#include "compile/compile.hpp"
#include "runtime/plan.hpp"

namespace edgetrain::predict {

struct Prediction {
  std::size_t plan_bytes = 0;     // weights, BN state, optimizer state, arena, kernel workspace
  std::size_t process_bytes = 0;  // runtime, libraries, generated kernels
  std::size_t input_bytes = 0;    // the caller's batches and data set
  std::size_t total_bytes = 0;
  std::vector<double> step_ms;    // per plan step
  double steps_ms = 0;            // their sum
  double overhead_ms = 0;
  double total_ms = 0;            // one training (or inference) step
};

int onednn_kernel_steps(const Plan& plan);
// oneDNN kernels with distinct problems (op, pass, shapes): oneDNN shares generated code between
// identical primitives, so a pruned network, every layer of a different width, holds more of it.
// With `also`, over both plans (a process that compiles two: training and evaluation).
int onednn_distinct_kernels(const Plan& plan, const Plan* also = nullptr);
// Passes (fwd, bwd_data, bwd_weights: 0-3) in which a gemm-based oneDNN step runs.
int onednn_gemm_passes(const Plan& plan);
Prediction predict(const Plan& plan, const DeviceProfile& profile, std::size_t input_bytes);
// Bytes of one batch of images and labels outside the plan (what a caller feeding batches holds).
std::size_t batch_input_bytes(const Plan& plan);
// The plan of `options` whose predicted total (with one batch's input) fits `budget` (0: none) if
// dropping Winograd convolutions (more scratch) makes it smaller: compile()'s budget rule applied to
// the predicted process total rather than the plan alone.
// `winograd_dropped` (optional) says whether it did.
Plan plan_within(const Graph& graph, CompileOptions options, const DeviceProfile& profile, std::size_t budget,
                 bool* winograd_dropped = nullptr);

// The same from a plan's recorded description (`edgetrain bench --kernels` reports): its steps'
// features, its exact bytes and its oneDNN kernel count.
struct PlanDescription {
  std::vector<StepFeatures> steps;
  std::size_t plan_bytes = 0;
  int onednn_kernels = 0;  // distinct ones (onednn_distinct_kernels)
  int onednn_gemm_passes = 0;
  std::size_t input_bytes = 0;
};
PlanDescription describe(const Plan& plan, std::size_t input_bytes);
Prediction predict(const PlanDescription& plan, const DeviceProfile& profile);

}  // namespace edgetrain::predict
