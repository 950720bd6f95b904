#include "bench_report.hpp"

#include "core/check.hpp"
#include "io/atomic_file.hpp"

namespace edgetrain::cli {

std::vector<predict::StepSample> BenchReport::samples() const {
  std::vector<predict::StepSample> out;
  for (size_t i = 0; i < plan.steps.size(); ++i) out.push_back({plan.steps[i], kernel_ms[i]});
  return out;
}

BenchReport read_bench_report(const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(io::read_file(path), nullptr, false);
  ET_REQUIRE(!j.is_discarded() && j.is_object() && j.contains("kernels"),
             "{}: not an `edgetrain bench --kernels --json` report (no \"kernels\")", path);
  try {
    BenchReport r;
    for (const auto& row : j.at("kernels")) {
      ET_REQUIRE(row.size() == predict::kNumStepFeatures + 2, "{}: a kernel row has {} numbers, expected {}", path,
                 row.size(), predict::kNumStepFeatures + 2);
      predict::StepFeatures f;
      for (int i = 0; i < predict::kNumStepFeatures; ++i) f.x[static_cast<size_t>(i)] = row[static_cast<size_t>(i)].get<float>();
      f.work = row[predict::kNumStepFeatures].get<double>();
      r.plan.steps.push_back(f);
      r.kernel_ms.push_back(row[predict::kNumStepFeatures + 1].get<double>());
    }
    r.plan.plan_bytes = j.at("peak_bytes").get<std::size_t>();
    r.plan.onednn_kernels = j.at("onednn_distinct_kernels").get<int>();
    r.plan.onednn_gemm_passes = j.at("onednn_gemm_passes").get<int>();
    r.plan.input_bytes = j.at("input_bytes").get<std::size_t>();
    r.step_ms = j.at("step_ms").get<double>();
    r.peak_rss_bytes = j.at("peak_rss_bytes").get<std::size_t>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: damaged bench report ({})", path, e.what());
  }
}

}  // namespace edgetrain::cli
