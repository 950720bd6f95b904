#include "predict/calibration.hpp"

#include <algorithm>
#include <chrono>

#include "graph/trainable.hpp"
#include "memory/parameter_store.hpp"
#include "predict/synthetic_net.hpp"
#include "compile/compile.hpp"
#include "runtime/executor.hpp"
#include "runtime/optimizer_state.hpp"

namespace edgetrain::predict {

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

PlanTiming time_plan(Executor& executor, const Plan& plan, int runs, uint64_t seed) {
  const std::size_t input_floats = plan.buffers.at(static_cast<size_t>(plan.input_buffer)).bytes / sizeof(float);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_int_distribution<int32_t> label(0, static_cast<int32_t>(plan.num_classes - 1));
  std::vector<float> images(input_floats);
  std::vector<int32_t> labels(static_cast<size_t>(plan.batch));
  for (float& x : images) x = normal(rng);
  for (int32_t& y : labels) y = label(rng);

  std::vector<double> step_ms;
  executor.set_step_times(&step_ms);
  executor.run(images.data(), labels.data());  // warm-up: first touches, oneDNN caches
  std::vector<std::vector<double>> per_step(plan.steps.size());
  std::vector<double> totals;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    executor.run(images.data(), labels.data());
    totals.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    for (size_t i = 0; i < step_ms.size(); ++i) per_step[i].push_back(step_ms[i]);
  }
  executor.set_step_times(nullptr);
  PlanTiming t;
  for (auto& v : per_step) t.step_ms.push_back(median(v));
  t.total_ms = median(totals);
  return t;
}

CalibrationData calibrate_latency(const CalibrationOptions& o, const CalibrationProgress& progress) {
  CalibrationData data;
  std::mt19937_64 rng(o.seed);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  while (elapsed() < o.seconds || data.networks.size() < static_cast<size_t>(o.min_networks)) {
    SyntheticNet net = random_network(rng, o.max_step_macs);
    CompileOptions c;
    c.batch = net.batch;
    c.trainable = parse_trainable(net.trainable);
    c.optimizer.kind = std::bernoulli_distribution(0.2)(rng) ? optim::OptimizerKind::adam : optim::OptimizerKind::sgd;
    c.backend = o.backend;
    Plan plan = compile(net.graph, c);
    ParameterStore params(net.graph, o.seed);
    OptimizerState optimizer(net.graph, plan.trainable, c.optimizer);
    Executor executor(plan, params, &optimizer);
    const PlanTiming t = time_plan(executor, plan, o.timed_runs, rng());

    NetworkTiming n;
    n.description = net.description;
    n.steps = static_cast<int>(plan.steps.size());
    n.step_ms = t.total_ms;
    n.input_bytes = plan.buffers[static_cast<size_t>(plan.input_buffer)].bytes;
    const int id = static_cast<int>(data.networks.size());
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      n.steps_sum_ms += t.step_ms[i];
      data.steps.push_back({step_features(plan.steps[i]), t.step_ms[i]});
      data.network_of_step.push_back(id);
    }
    data.networks.push_back(n);
    if (progress) progress(id + 1, elapsed(), net.description);
  }
  return data;
}

}  // namespace edgetrain::predict
