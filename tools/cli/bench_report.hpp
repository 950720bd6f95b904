// `edgetrain bench --kernels --json` reports read back: the measured plan's description (for
// predictions without recompiling) and its measured step times (samples for calibrate --add).
#pragma once
#include <string>
#include <vector>

#include "predict/latency_model.hpp"
#include "predict/predictor.hpp"

namespace edgetrain::cli {

struct BenchReport {
  predict::PlanDescription plan;
  std::vector<double> kernel_ms;  // measured, per step
  double step_ms = 0;             // measured whole step
  std::size_t peak_rss_bytes = 0;
  std::vector<predict::StepSample> samples() const;
};

BenchReport read_bench_report(const std::string& path);

}  // namespace edgetrain::cli
