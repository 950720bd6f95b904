// DeviceProfile: what `edgetrain calibrate` learned about this device, saved as JSON — the latency
// model with the samples it was fitted on (so measured runs can be added and the model refitted),
// the executor's per-step overhead, and the process memory around a plan.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "predict/latency_model.hpp"

namespace edgetrain::predict {

// Resident memory of a training process beyond its plan (weights, optimizer state, arena, kernel
// workspace) and its input batches: runtime libraries, thread stacks, oneDNN's generated code.
// Fitted on measured peak RSS: base + per_onednn_kernel x (distinct oneDNN kernels of the plan), plus
// onednn_gemm_bytes where a plan runs any gemm-based oneDNN step (inner products, some convolutions
// at odd channel counts): oneDNN 2.6's internal sgemm packs into buffers it allocates itself, outside
// the user scratchpad (measured: ~4.4 MiB at the first forward one, ~4 MiB at the first bwd_data one,
// and they stay resident).
struct ProcessMemory {
  double base_bytes = 0;
  double per_onednn_kernel_bytes = 0;
  double onednn_gemm_bytes = 0;
};

// The executor's time beyond its steps: base + per_step x steps + per_input_byte x input bytes.
struct StepOverhead {
  double base_ms = 0;
  double per_step_ms = 0;
};

struct DeviceProfile {
  std::string device;  // CPU model
  int threads = 0;
  BackendChoice backend;  // where kernel selection starts (kernels/backend.hpp); unset: automatic
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
