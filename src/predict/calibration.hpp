// Latency calibration: trains random synthetic networks (synthetic_net.hpp) for a few steps on this
// device and records every step's measured time with its features — the data the latency model is
// fitted on — and, per network, the whole step's time against the sum of its steps (the executor's
// own overhead).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "predict/latency_model.hpp"
#include "runtime/executor.hpp"
#include "runtime/plan.hpp"

namespace edgetrain::predict {

struct CalibrationOptions {
  double seconds = 90;    // stop starting new networks after this long...
  int min_networks = 10;  // ...once at least this many have run (a loaded machine still calibrates)
  int64_t max_step_macs = 4'000'000'000;
  int timed_runs = 3;     // per network, after one warm-up; each step's median is kept
  BackendChoice backend;  // where kernel selection starts (kernels/backend.hpp); unset: automatic
  uint64_t seed = 1;
};

struct NetworkTiming {  // one calibration network
  std::string description;
  int steps = 0;            // plan steps
  double step_ms = 0;       // median wall time of Executor::run
  double steps_sum_ms = 0;  // the sum of its steps' median times
  std::size_t input_bytes = 0;
};

struct CalibrationData {
  std::vector<StepSample> steps;
  std::vector<NetworkTiming> networks;
  std::vector<int> network_of_step;  // index into networks, per step sample
};

// Called after each network: (networks done, seconds so far, its description).
using CalibrationProgress = std::function<void(int, double, const std::string&)>;

CalibrationData calibrate_latency(const CalibrationOptions& options, const CalibrationProgress& progress = {});

// Times `runs` training steps of a compiled plan on random data (after one warm-up) and returns
// each step's median time as samples, and the median whole-step time. Shared by calibration and
// `edgetrain bench`.
struct PlanTiming {
  std::vector<double> step_ms;  // per plan step, median over the runs
  double total_ms = 0;          // median of the whole step
};
PlanTiming time_plan(Executor& executor, const Plan& plan, int runs, uint64_t seed);

}  // namespace edgetrain::predict
