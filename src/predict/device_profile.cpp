#include "predict/device_profile.hpp"

#include <fstream>

#include "core/check.hpp"

namespace edgetrain::predict {

namespace {
// -3: the kernels' implementation codes (a step feature) and which kernels count as oneDNN's (process
// memory) changed when edgetrain's own loops became the native backend; older profiles mispredict.
constexpr const char* kFormat = "edgetrain-device-profile-3";
}  // namespace

std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

nlohmann::json profile_to_json(const DeviceProfile& p) {
  nlohmann::json samples = nlohmann::json::array();
  for (const StepSample& s : p.samples) {  // compact rows: features..., work, ms
    nlohmann::json row = s.features.x;
    row.push_back(s.features.work);
    row.push_back(s.ms);
    samples.push_back(std::move(row));
  }
  return {{"format", kFormat},
          {"device", p.device},
          {"threads", p.threads},
          {"backend", backend_choice_name(p.backend)},
          {"process_memory",
           {{"base_bytes", p.memory.base_bytes},
            {"per_onednn_kernel_bytes", p.memory.per_onednn_kernel_bytes},
            {"onednn_gemm_bytes", p.memory.onednn_gemm_bytes}}},
          {"step_overhead", {{"base_ms", p.overhead.base_ms}, {"per_step_ms", p.overhead.per_step_ms}}},
          {"record", p.record},
          {"feature_names", feature_names()},
          {"samples", std::move(samples)},
          {"latency_model", p.latency.empty() ? nlohmann::json() : p.latency.to_json()}};
}

DeviceProfile profile_from_json(const nlohmann::json& j, const std::string& where) {
  ET_REQUIRE(!(j.is_object() && j.value("format", "") == "edgetrain-device-profile-2"),
             "{}: a device profile made by an older edgetrain, whose kernels it no longer describes; make a new "
             "one with `edgetrain calibrate`",
             where);
  ET_REQUIRE(j.is_object() && j.value("format", "") == kFormat,
             "{}: not an edgetrain device profile (expected format '{}'; make one with `edgetrain calibrate`)", where,
             kFormat);
  try {
    DeviceProfile p;
    p.device = j.at("device").get<std::string>();
    p.threads = j.at("threads").get<int>();
    p.backend = parse_backend_choice(j.at("backend").get<std::string>());
    p.memory.base_bytes = j.at("process_memory").at("base_bytes").get<double>();
    p.memory.per_onednn_kernel_bytes = j.at("process_memory").at("per_onednn_kernel_bytes").get<double>();
    p.memory.onednn_gemm_bytes = j.at("process_memory").at("onednn_gemm_bytes").get<double>();
    p.overhead.base_ms = j.at("step_overhead").at("base_ms").get<double>();
    p.overhead.per_step_ms = j.at("step_overhead").at("per_step_ms").get<double>();
    p.record = j.value("record", nlohmann::json::object());
    for (const auto& row : j.at("samples")) {
      ET_REQUIRE(row.size() == kNumStepFeatures + 2, "{}: a calibration sample has {} numbers, expected {}", where,
                 row.size(), kNumStepFeatures + 2);
      StepSample s;
      for (int i = 0; i < kNumStepFeatures; ++i)
        s.features.x[static_cast<size_t>(i)] = row[static_cast<size_t>(i)].get<float>();
      s.features.work = row[kNumStepFeatures].get<double>();
      s.ms = row[kNumStepFeatures + 1].get<double>();
      p.samples.push_back(s);
    }
    if (!j.at("latency_model").is_null()) p.latency = LatencyModel::from_json(j.at("latency_model"));
    return p;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: damaged device profile ({}); rerun `edgetrain calibrate`", where, e.what());
  }
}

}  // namespace edgetrain::predict
