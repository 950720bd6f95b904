// edgetrain calibrate: measures this device once and saves its profile (JSON) for `edgetrain
// predict`: the latency model fitted on random synthetic networks trained for a few steps (within
// --seconds), the executor's per-step overhead, and the process memory around a plan (measured
// peak RSS of short `edgetrain bench` runs). `--add` refits an existing profile with measured runs.
#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "bench_report.hpp"
#include "common.hpp"
#include "core/check.hpp"
#include "io/atomic_file.hpp"
#include "io/profile_file.hpp"
#include "predict/calibration.hpp"
#include "predict/device_profile.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct CalibrateOptions {
  double seconds = 90;
  std::string out = "edgetrain-device.json";
  std::string backend = "auto";
  std::string profile;           // with --add: the profile to refit
  std::vector<std::string> add;  // bench --kernels JSON reports
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

// Least squares for y = x . c with three unknowns (normal equations; a column that never varies,
// e.g. no run had a gemm-based convolution, gets 0).
std::array<double, 3> least_squares(const std::vector<std::array<double, 3>>& x, const std::vector<double>& y) {
  double a[3][4] = {};
  for (size_t r = 0; r < x.size(); ++r)
    for (int i = 0; i < 3; ++i) {
      for (int k = 0; k < 3; ++k) a[i][k] += x[r][static_cast<size_t>(i)] * x[r][static_cast<size_t>(k)];
      a[i][3] += x[r][static_cast<size_t>(i)] * y[r];
    }
  for (int i = 0; i < 3; ++i) a[i][i] += 1e-9 * (1.0 + a[i][i]);  // ridge: singular columns give 0
  for (int i = 0; i < 3; ++i) {                                   // Gauss-Jordan with partial pivoting
    int p = i;
    for (int r = i + 1; r < 3; ++r)
      if (std::abs(a[r][i]) > std::abs(a[p][i])) p = r;
    std::swap(a[i], a[p]);
    for (int r = 0; r < 3; ++r) {
      if (r == i || a[i][i] == 0) continue;
      const double f = a[r][i] / a[i][i];
      for (int k = i; k < 4; ++k) a[r][k] -= f * a[i][k];
    }
  }
  std::array<double, 3> c{};
  for (int i = 0; i < 3; ++i) c[static_cast<size_t>(i)] = a[i][i] != 0 ? a[i][3] / a[i][i] : 0.0;
  return c;
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
  // Zoo models none of the perf4sight architectures, and random calibration networks (some with
  // gemm-based oneDNN convolutions, at odd widths).
  std::vector<std::string> runs = {
      "--model fmnist-cnn --input 1x28x28 --batch 16", "--model fmnist-cnn --input 1x28x28 --batch 256",
      "--model lenet5 --input 1x32x32 --batch 64",     "--model resnet20 --input 3x32x32 --batch 8",
      "--model resnet20 --input 3x32x32 --batch 128",  "--model resnet56 --input 3x32x32 --batch 32"};
  for (int seed = 1; seed <= 14; ++seed) runs.push_back(fmt::format("--synthetic {}", seed));
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string tmp =
      (std::filesystem::temp_directory_path() / fmt::format("edgetrain-calibrate-{}.json", getpid())).string();
  std::vector<std::array<double, 3>> x;  // 1, oneDNN kernels, any gemm-based oneDNN step
  std::vector<double> residual;
  nlohmann::json measured = nlohmann::json::array();
  for (const std::string& r : runs) {
    const std::string cmd = fmt::format("'{}' --threads {} bench {} --runs 2 --json '{}' >/dev/null 2>&1", self,
                                        omp_get_max_threads(), r, tmp);
    ET_REQUIRE(std::system(cmd.c_str()) == 0, "calibrate: measuring memory failed running: {}", cmd);
    const nlohmann::json j = nlohmann::json::parse(io::read_file(tmp));
    const double rest =
        j.at("peak_rss_bytes").get<double>() - j.at("peak_bytes").get<double>() - j.at("input_bytes").get<double>();
    x.push_back(
        {1.0, j.at("onednn_distinct_kernels").get<double>(), j.at("onednn_gemm_passes").get<int>() > 0 ? 1.0 : 0.0});
    residual.push_back(rest);
    measured.push_back({{"run", r},
                        {"model", j["model"]},
                        {"batch", j["batch"]},
                        {"peak_rss_bytes", j["peak_rss_bytes"]},
                        {"plan_bytes", j["peak_bytes"]},
                        {"onednn_distinct_kernels", j["onednn_distinct_kernels"]},
                        {"onednn_gemm_passes", j["onednn_gemm_passes"]},
                        {"outside_plan_bytes", rest}});
  }
  std::filesystem::remove(tmp);
  const std::array<double, 3> c = least_squares(x, residual);
  record["memory_runs"] = measured;
  return {c[0], std::max(0.0, c[1]), std::max(0.0, c[2])};  // (base, per kernel, with oneDNN's gemm)
}

int run_refit(const CalibrateOptions& o) {
  ET_REQUIRE(!o.profile.empty(), "--add needs --profile: the device profile the measured runs are added to");
  predict::DeviceProfile p = io::load_profile_file(o.profile);
  size_t added = 0;
  for (const std::string& path : o.add) {
    auto s = read_bench_report(path).samples();
    added += s.size();
    p.samples.insert(p.samples.end(), s.begin(), s.end());
  }
  p.latency = predict::LatencyModel::fit(p.samples);
  p.record["added_files"] = p.record.value("added_files", 0) + static_cast<int>(o.add.size());
  io::save_profile_file(o.out, p);
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
  p.backend = parse_backend_choice(o.backend);
  const auto t0 = std::chrono::steady_clock::now();

  predict::CalibrationOptions c;
  c.seconds = o.seconds;
  c.backend = parse_backend_choice(o.backend);
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
  io::save_profile_file(o.out, p);

  fmt::print("device           {} ({} threads, backend {})\n", p.device, p.threads, backend_choice_name(p.backend));
  fmt::print(
      "latency          {} synthetic networks, {} step samples; step time of held-out networks {:.1f} % accurate\n",
      d.networks.size(), d.steps.size(), 100 * accuracy);
  fmt::print("executor         {:.3f} ms + {:.4f} ms per step\n", p.overhead.base_ms, p.overhead.per_step_ms);
  if (o.memory)
    fmt::print("process memory   {} + {} per distinct oneDNN kernel + {} where oneDNN's gemm runs, beyond the plan\n",
               human_bytes(static_cast<std::size_t>(std::max(0.0, p.memory.base_bytes))),
               human_bytes(static_cast<std::size_t>(p.memory.per_onednn_kernel_bytes)),
               human_bytes(static_cast<std::size_t>(p.memory.onednn_gemm_bytes)));
  fmt::print("wrote {} in {:.0f} s\n", o.out, p.record["seconds"].get<double>());
  return 0;
}

}  // namespace

Action add_calibrate(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  app.add_option("--seconds", o->seconds, "time for the latency measurements")->capture_default_str();
  app.add_option("--out,-o", o->out, "device profile to write")->capture_default_str();
  app.add_option("--backend", o->backend, "kernels to calibrate: auto, onednn, native, ref")->capture_default_str();
  app.add_option("--profile", o->profile, "with --add: the profile to refit");
  app.add_option("--add", o->add, "`edgetrain bench --kernels --json` reports to add to --profile's samples");
  app.add_flag("!--no-memory", o->memory, "skip the process-memory measurement");
  app.add_option("--seed", o->seed, "seed of the synthetic networks")->capture_default_str();
  return [o] { return run_calibrate(*o); };
}

}  // namespace edgetrain::cli
