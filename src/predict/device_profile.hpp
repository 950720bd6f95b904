// DeviceProfile: what `edgetrain calibrate` learned about this device, saved as JSON — the latency
// model with the samples it was fitted on (so measured runs can be added and the model refitted),
// the executor's per-step overhead, and the process memory around a plan.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "predict/latency_model.hpp"

namespace edgetrain::predict {

// Resident memory of a training process beyond its plan (weights, optimizer state, arena, kernel
// workspace) and its input batches: runtime libraries, thread stacks, oneDNN's generated code.
// Fitted on measured peak RSS: base + per_onednn_kernel x (oneDNN kernel steps of the plan).
struct ProcessMemory {
  double base_bytes = 0;
  double per_onednn_kernel_bytes = 0;
};

// The executor's time beyond its steps: base + per_step x steps + per_input_byte x input bytes.
struct StepOverhead {
  double base_ms = 0;
  double per_step_ms = 0;
};

struct DeviceProfile {
  std::string device;   // CPU model
  int threads = 0;
  std::string backend = "auto";
  ProcessMemory memory;
  StepOverhead overhead;
  LatencyModel latency;
  std::vector<StepSample> samples;  // calibration (and any added measured) steps
  nlohmann::json record;            // what was measured, when, and how well the model fits it
};

// (De)serialisation; files are read and written (atomically) by the caller. `where` names the
// source in errors.
nlohmann::json profile_to_json(const DeviceProfile& p);
DeviceProfile profile_from_json(const nlohmann::json& j, const std::string& where);
std::string cpu_model_name();

}  // namespace edgetrain::predict
