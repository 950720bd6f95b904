#include "predict_measured.hpp"

#include <fmt/format.h>

#include <cmath>

#include "bench_report.hpp"
#include "common.hpp"
#include "io/profile_file.hpp"

namespace edgetrain::cli {

int predict_measured(const std::string& profile, const std::vector<std::string>& reports, const std::string& json) {
  const predict::DeviceProfile prof = io::load_profile_file(profile);
  nlohmann::json list = nlohmann::json::array();
  double time_err = 0, mem_err = 0;
  fmt::print("{:>10} {:>10} {:>7}   {:>10} {:>10} {:>7}   {}\n", "step ms", "predicted", "error", "peak RSS",
             "predicted", "error", "report");
  for (const std::string& path : reports) {
    const BenchReport r = read_bench_report(path);
    const predict::Prediction p = predict::predict(r.plan, prof);
    const double te = p.total_ms / r.step_ms - 1,
                 me = static_cast<double>(p.total_bytes) / static_cast<double>(r.peak_rss_bytes) - 1;
    time_err += std::abs(te);
    mem_err += std::abs(me);
    fmt::print("{:>10.2f} {:>10.2f} {:>+6.1f}%   {:>10} {:>10} {:>+6.1f}%   {}\n", r.step_ms, p.total_ms, 100 * te,
               human_bytes(r.peak_rss_bytes), human_bytes(p.total_bytes), 100 * me, path);
    list.push_back({{"report", path},
                    {"measured_step_ms", r.step_ms},
                    {"predicted_step_ms", p.total_ms},
                    {"measured_peak_rss_bytes", r.peak_rss_bytes},
                    {"predicted_bytes", p.total_bytes}});
  }
  const double n = static_cast<double>(reports.size());
  fmt::print("accuracy (1 - mean relative error): step time {:.2f} %, memory {:.2f} %\n", 100 * (1 - time_err / n),
             100 * (1 - mem_err / n));
  write_json(json, {{"profile", profile},
                    {"runs", list},
                    {"latency_accuracy", 1 - time_err / n},
                    {"memory_accuracy", 1 - mem_err / n}});
  return 0;
}

}  // namespace edgetrain::cli
