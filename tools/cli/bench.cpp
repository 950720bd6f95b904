// edgetrain bench: measures a training configuration on this device — the median time of a whole
// training step on random data, each step's time, and the process's peak resident memory — for
// comparing against `edgetrain predict` and for adding measured runs to a device profile.
#include <fmt/format.h>
#include <omp.h>

#include <numeric>

#include "common.hpp"
#include "memory/parameter_store.hpp"
#include "predict/calibration.hpp"
#include "predict/predictor.hpp"
#include "predict/step_features.hpp"
#include "runtime/executor.hpp"
#include "runtime/optimizer_state.hpp"
#include "step_config.hpp"
#include "train/rss.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct BenchOptions {
  StepConfig step;
  int runs = 3;
  bool kernels = false;
  std::string json;
};

int run_bench(const BenchOptions& o) {
  ET_REQUIRE(o.runs >= 1, "--runs must be at least 1, got {}", o.runs);
  Model model = open_model(o.step.model, 0, Shape{}, 1);
  const CompileOptions c = compile_options(o.step, o.step.batch);
  Plan plan = compile(model.graph, c);
  OptimizerState optimizer(model.graph, plan.trainable, c.optimizer);
  Executor executor(plan, model.params, &optimizer);
  // The peak of training, not of loading: what loading and compiling freed goes back to the system
  // and the peak restarts from here (loading a checkpoint transiently holds its file as well).
  release_free_heap();
  const bool peak_reset = reset_peak_rss();
  const predict::PlanTiming t = predict::time_plan(executor, plan, o.runs, 1);
  const std::size_t peak = peak_rss_bytes();

  fmt::print("{} (input {}), batch {}, trainable {}, optimizer {}: {} steps\n", model.info.arch,
             model.graph.input_shape().str(), plan.batch, o.step.trainable, o.step.optimizer, plan.steps.size());
  fmt::print("  training step   {:.2f} ms (median of {}), {:.1f} images/s\n", t.total_ms, o.runs,
             1e3 * static_cast<double>(plan.batch) / t.total_ms);
  fmt::print("  peak RSS        {}   (plan {})\n", human_bytes(peak), human_bytes(plan.breakdown.total()));

  nlohmann::json j = plan_json(plan);
  j["model"] = model.info.arch;
  j["input"] = model.graph.input_shape().str();
  j["trainable"] = o.step.trainable;
  j["optimizer"] = o.step.optimizer;
  j["threads"] = omp_get_max_threads();
  j["runs"] = o.runs;
  j["step_ms"] = t.total_ms;
  j["steps_sum_ms"] = std::accumulate(t.step_ms.begin(), t.step_ms.end(), 0.0);
  j["peak_rss_bytes"] = peak;
  j["peak_rss_from"] = peak_reset ? "training" : "process start";
  j["input_bytes"] = synthetic_input_bytes(plan);
  j["onednn_kernel_steps"] = predict::onednn_kernel_steps(plan);
  if (o.kernels) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      const predict::StepFeatures f = predict::step_features(plan.steps[i]);
      nlohmann::json row = f.x;
      row.push_back(f.work);
      row.push_back(t.step_ms[i]);
      rows.push_back(std::move(row));
    }
    j["kernels"] = std::move(rows);
  }
  write_json(o.json, j);
  return 0;
}

}  // namespace

Action add_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  add_step_options(app, o->step);
  app.add_option("--runs", o->runs, "timed training steps after one warm-up")->capture_default_str();
  app.add_flag("--kernels", o->kernels, "with --json: every step's features and measured time (for calibrate --add)");
  app.add_option("--json", o->json, "write a machine-readable report here");
  return [o] { return run_bench(*o); };
}

}  // namespace edgetrain::cli
