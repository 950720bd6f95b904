// edgetrain bench: measures a training configuration on this device — the median time of a whole
// training step on random data, each step's time, and the process's peak resident memory — for
// comparing against `edgetrain predict` and for adding measured runs to a device profile.
#include <fmt/format.h>
#include <omp.h>

#include <numeric>
#include <random>

#include "api/convert.hpp"
#include "common.hpp"
#include "memory/parameter_store.hpp"
#include "predict/calibration.hpp"
#include "predict/predictor.hpp"
#include "predict/step_features.hpp"
#include "predict/synthetic_net.hpp"
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
  bool inference = false;  // time an inference step (batch through the forward pass) instead
  int64_t synthetic = -1;  // >= 0: a random calibration network of this seed instead of --model
  std::string json;
};

int run_bench(const BenchOptions& o) {
  ET_REQUIRE(o.runs >= 1, "--runs must be at least 1, got {}", o.runs);
  Network model;
  CompileOptions c;
  if (o.synthetic >= 0) {
    std::mt19937_64 rng(static_cast<uint64_t>(o.synthetic));
    predict::SyntheticNet net = predict::random_network(rng, 4'000'000'000);
    model.graph = std::move(net.graph);
    model.params = ParameterStore(model.graph, 1);
    model.info.arch = "synthetic:" + std::to_string(o.synthetic) + " (" + net.description + ")";
    StepConfig s = o.step;
    s.trainable = net.trainable;
    c = compile_options(s, net.batch);
  } else {
    model = open_model(o.step.model, 0, Shape{}, 1);
    c = compile_options(o.step, o.step.batch);
  }
  c.training = !o.inference;
  Plan plan = compile(model.graph, c);
  OptimizerState optimizer(model.graph, plan.trainable, c.optimizer);
  Executor executor(plan, model.params, o.inference ? nullptr : &optimizer);
  // The peak of training, not of loading: what loading and compiling freed goes back to the system
  // and the peak restarts from here (loading a checkpoint transiently holds its file as well).
  release_free_heap();
  const bool peak_reset = reset_peak_rss();
  const predict::PlanTiming t = predict::time_plan(executor, plan, o.runs, 1);
  const std::size_t peak = peak_rss_bytes();

  fmt::print("{} (input {}), batch {}, trainable {}, optimizer {}: {} steps\n", model.info.arch,
             model.graph.input_shape().str(), plan.batch, o.step.trainable, o.step.optimizer, plan.steps.size());
  fmt::print("  {} step  {:.2f} ms (median of {}), {:.1f} images/s\n", o.inference ? "inference" : "training ", t.total_ms, o.runs,
             1e3 * static_cast<double>(plan.batch) / t.total_ms);
  fmt::print("  peak RSS        {}   (plan {})\n", human_bytes(peak), human_bytes(plan.breakdown.total()));

  nlohmann::json j = plan_json(api::summarize(plan));
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
  j["input_bytes"] = predict::batch_input_bytes(plan);
  j["onednn_kernel_steps"] = predict::onednn_kernel_steps(plan);
  j["onednn_distinct_kernels"] = predict::onednn_distinct_kernels(plan);
  j["onednn_gemm_passes"] = predict::onednn_gemm_passes(plan);
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
  app.add_flag("--inference", o->inference, "time an inference step (forward only) instead of a training step");
  app.add_option("--synthetic", o->synthetic, "measure the random calibration network of this seed instead");
  app.add_option("--json", o->json, "write a machine-readable report here");
  return [o] { return run_bench(*o); };
}

}  // namespace edgetrain::cli
