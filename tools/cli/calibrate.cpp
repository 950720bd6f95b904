// edgetrain calibrate: measures this device once and saves its profile (JSON) for `edgetrain
// predict`: the latency model fitted on random synthetic networks trained for a few steps (within
// --seconds), the executor's per-step overhead, and the process memory around a plan (measured
// peak RSS of short `edgetrain bench` runs). `--add` refits an existing profile with measured runs.
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "bench_report.hpp"
#include "common.hpp"
#include "core/check.hpp"
#include "io/atomic_file.hpp"
#include "predict/calibration.hpp"
#include "predict/device_profile.hpp"
#include "profile_file.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct CalibrateOptions {
  double seconds = 90;
  std::string out = "edgetrain-device.json";
  std::string backend = "auto";
  std::string profile;              // with --add: the profile to refit
  std::vector<std::string> add;     // bench --kernels JSON reports
  bool memory = true;
  uint64_t seed = 1;
};

// Least squares for y = a + b x (two unknowns; both rarely degenerate here).
std::pair<double, double> fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i];
  const double det = n * sxx - sx * sx;
  if (n < 2 || std::abs(det) < 1e-12) return {n > 0 ? sy / n : 0.0, 0.0};
  const double b = (n * sxy - sx * sy) / det;
  return {(sy - b * sx) / n, b};
}

// Step-time accuracy of a model on networks it was not fitted on: 1 - mean |pred - meas| / meas.
double heldout_accuracy(const predict::CalibrationData& d, const predict::StepOverhead& overhead) {
  if (d.networks.size() < 5) return std::nan("");  // too few networks to hold any out
  std::vector<int> order(d.networks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::mt19937 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t test_count = std::max<size_t>(1, order.size() / 5);
  std::vector<bool> is_test(d.networks.size(), false);
  for (size_t i = 0; i < test_count; ++i) is_test[static_cast<size_t>(order[i])] = true;
  std::vector<predict::StepSample> train;
  for (size_t i = 0; i < d.steps.size(); ++i)
    if (!is_test[static_cast<size_t>(d.network_of_step[i])]) train.push_back(d.steps[i]);
  const predict::LatencyModel m = predict::LatencyModel::fit(train);
  std::vector<double> predicted(d.networks.size(), 0.0);
  std::vector<predict::StepFeatures> f;
  for (const auto& s : d.steps) f.push_back(s.features);
  const std::vector<double> ms = m.predict_ms(f);
  for (size_t i = 0; i < d.steps.size(); ++i) predicted[static_cast<size_t>(d.network_of_step[i])] += ms[i];
  double err = 0;
  int n = 0;
  for (size_t k = 0; k < d.networks.size(); ++k) {
    if (!is_test[k]) continue;
    const double p = predicted[k] + overhead.base_ms + overhead.per_step_ms * d.networks[k].steps;
    err += std::abs(p - d.networks[k].step_ms) / d.networks[k].step_ms;
    ++n;
  }
  return 1.0 - err / std::max(n, 1);
}

// Runs `edgetrain bench` in fresh processes (so each peak RSS is one configuration's) and fits the
// memory a process holds beyond its plan and input batches.
predict::ProcessMemory calibrate_memory(nlohmann::json& record) {
  struct Run { const char* model; const char* input; int batch; };
  static const Run runs[] = {{"fmnist-cnn", "1x28x28", 16},  {"fmnist-cnn", "1x28x28", 256},
                             {"lenet5", "1x32x32", 64},      {"resnet20", "3x32x32", 8},
                             {"resnet20", "3x32x32", 128},   {"resnet56", "3x32x32", 32}};
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string tmp = (std::filesystem::temp_directory_path() / fmt::format("edgetrain-calibrate-{}.json", getpid())).string();
  std::vector<double> kernels, residual;
  nlohmann::json measured = nlohmann::json::array();
  for (const Run& r : runs) {
    const std::string cmd = fmt::format("'{}' --threads {} bench --model {} --input {} --batch {} --runs 2 --json '{}' >/dev/null 2>&1",
                                        self, omp_get_max_threads(), r.model, r.input, r.batch, tmp);
    ET_REQUIRE(std::system(cmd.c_str()) == 0, "calibrate: measuring memory failed running: {}", cmd);
    const nlohmann::json j = nlohmann::json::parse(io::read_file(tmp));
    const double rest = j.at("peak_rss_bytes").get<double>() - j.at("peak_bytes").get<double>() - j.at("input_bytes").get<double>();
    kernels.push_back(j.at("onednn_kernel_steps").get<double>());
    residual.push_back(rest);
    measured.push_back({{"model", r.model}, {"batch", r.batch}, {"peak_rss_bytes", j["peak_rss_bytes"]},
                        {"plan_bytes", j["peak_bytes"]}, {"outside_plan_bytes", rest}});
  }
  std::filesystem::remove(tmp);
  auto [a, b] = fit_line(kernels, residual);
  record["memory_runs"] = measured;
  return {a, std::max(0.0, b)};
}

int run_refit(const CalibrateOptions& o) {
  ET_REQUIRE(!o.profile.empty(), "--add needs --profile: the device profile the measured runs are added to");
  predict::DeviceProfile p = load_profile_file(o.profile);
  size_t added = 0;
  for (const std::string& path : o.add) {
    auto s = read_bench_report(path).samples();
    added += s.size();
    p.samples.insert(p.samples.end(), s.begin(), s.end());
  }
  p.latency = predict::LatencyModel::fit(p.samples);
  p.record["added_files"] = p.record.value("added_files", 0) + static_cast<int>(o.add.size());
  save_profile_file(o.out, p);
  fmt::print("added {} measured steps from {} runs ({} samples in all); refitted profile written to {}\n", added,
             o.add.size(), p.samples.size(), o.out);
  return 0;
}

int run_calibrate(const CalibrateOptions& o) {
  if (!o.add.empty()) return run_refit(o);
  ET_REQUIRE(o.seconds > 0 && o.seconds <= 3600, "--seconds must be in (0, 3600], got {}", o.seconds);
  io::check_writable(o.out);
  predict::DeviceProfile p;
  p.device = predict::cpu_model_name();
  p.threads = omp_get_max_threads();
  p.backend = o.backend;
  const auto t0 = std::chrono::steady_clock::now();

  predict::CalibrationOptions c;
  c.seconds = o.seconds;
  c.backend = o.backend;
  c.seed = o.seed;
  Progress bar("calibrate", static_cast<int64_t>(o.seconds));
  predict::CalibrationData d = predict::calibrate_latency(c, [&](int n, double s, const std::string&) {
    bar.update(static_cast<int64_t>(std::min(s, o.seconds)), fmt::format("{} networks", n));
  });
  bar.finish();

  std::vector<double> steps, extra;
  for (const auto& n : d.networks) {
    steps.push_back(n.steps);
    extra.push_back(n.step_ms - n.steps_sum_ms);
  }
  auto [base, per_step] = fit_line(steps, extra);
  p.overhead = {base, per_step};
  const double accuracy = heldout_accuracy(d, p.overhead);
  p.samples = d.steps;
  p.latency = predict::LatencyModel::fit(p.samples);
  p.record = {{"networks", d.networks.size()},
              {"samples", d.steps.size()},
              {"latency_seconds", o.seconds},
              {"heldout_network_step_accuracy", accuracy}};
  if (o.memory) p.memory = calibrate_memory(p.record);
  p.record["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  save_profile_file(o.out, p);

  fmt::print("device           {} ({} threads, backend {})\n", p.device, p.threads, p.backend);
  fmt::print("latency          {} synthetic networks, {} step samples; step time of held-out networks {:.1f} % accurate\n",
             d.networks.size(), d.steps.size(), 100 * accuracy);
  fmt::print("executor         {:.3f} ms + {:.4f} ms per step\n", p.overhead.base_ms, p.overhead.per_step_ms);
  if (o.memory)
    fmt::print("process memory   {} + {} per oneDNN kernel beyond the plan\n", human_bytes(static_cast<std::size_t>(std::max(0.0, p.memory.base_bytes))),
               human_bytes(static_cast<std::size_t>(p.memory.per_onednn_kernel_bytes)));
  fmt::print("wrote {} in {:.0f} s\n", o.out, p.record["seconds"].get<double>());
  return 0;
}

}  // namespace

Action add_calibrate(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  app.add_option("--seconds", o->seconds, "time for the latency measurements")->capture_default_str();
  app.add_option("--out,-o", o->out, "device profile to write")->capture_default_str();
  app.add_option("--backend", o->backend, "kernels to calibrate: auto, onednn, ref")->capture_default_str();
  app.add_option("--profile", o->profile, "with --add: the profile to refit");
  app.add_option("--add", o->add, "`edgetrain bench --kernels --json` reports to add to --profile's samples");
  app.add_flag("!--no-memory", o->memory, "skip the process-memory measurement");
  app.add_option("--seed", o->seed, "seed of the synthetic networks")->capture_default_str();
  return [o] { return run_calibrate(*o); };
}

}  // namespace edgetrain::cli
