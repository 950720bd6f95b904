// The predictor's parts: step features from real plans, the executor's step timer, the XGBoost
// latency model (fit, predict, JSON round trip), device profiles, the memory arithmetic, synthetic
// calibration networks and a short calibration.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compile/compile.hpp"
#include "edgetrain/error.hpp"
#include "graph/trainable.hpp"
#include "io/model_io.hpp"
#include "predict/calibration.hpp"
#include "predict/device_profile.hpp"
#include "predict/latency_model.hpp"
#include "predict/predictor.hpp"
#include "predict/step_features.hpp"
#include "predict/synthetic_net.hpp"
#include "runtime/executor.hpp"

namespace edgetrain::predict {
namespace {

Plan training_plan(const Graph& g, int64_t batch, BackendChoice backend = std::nullopt) {
  CompileOptions o;
  o.batch = batch;
  o.backend = backend;
  return compile(g, o);
}

int feature(const char* name) {
  const auto& names = feature_names();
  for (int i = 0; i < kNumStepFeatures; ++i)
    if (names[static_cast<size_t>(i)] == name) return i;
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

TEST(StepFeatures, DescribeConvolutionsFromTheirTensors) {
  Network m = io::make_zoo_model("resnet20", 10, Shape{3, 32, 32}, 1.0, 1);
  const Plan plan = training_plan(m.graph, 16);
  bool saw_strided = false;
  for (const Step& s : plan.steps) {
    const StepFeatures f = step_features(s);
    for (float v : f.x) ASSERT_TRUE(std::isfinite(v)) << s.name;
    ASSERT_GT(f.work, 0) << s.name;
    if (s.kind == StepKind::kernel && s.op == "Conv2d") {
      EXPECT_DOUBLE_EQ(f.work, 2.0 * static_cast<double>(s.macs)) << s.name;
    }
    if (s.name == "layer2.0.conv1" && s.pass == Pass::fwd) {  // 3x3, stride 2, 16 -> 32 channels, batch 16
      EXPECT_EQ(f.x[static_cast<size_t>(feature("kernel_area"))], 9);
      EXPECT_EQ(f.x[static_cast<size_t>(feature("stride"))], 2);
      EXPECT_EQ(f.x[static_cast<size_t>(feature("log2_batch"))], 4);
      EXPECT_EQ(f.x[static_cast<size_t>(feature("log2_c_in"))], 4);
      EXPECT_EQ(f.x[static_cast<size_t>(feature("log2_c_out"))], 5);
      EXPECT_EQ(f.x[static_cast<size_t>(feature("log2_groups"))], 0);
      saw_strided = true;
    }
  }
  EXPECT_TRUE(saw_strided);
}

TEST(StepFeatures, NameTheImplementationThatRuns) {
  Network m = io::make_zoo_model("resnet20", 10, Shape{3, 32, 32}, 1.0, 1);
  const Plan onednn = training_plan(m.graph, 8, KernelBackend::onednn),
             ref = training_plan(m.graph, 8, KernelBackend::reference),
             native = training_plan(m.graph, 8, KernelBackend::native);
  int winograd_steps = 0;
  for (const Step& s : onednn.steps) {
    if (s.op != "Conv2d") continue;
    EXPECT_FALSE(s.kernel->detail().empty()) << s.name;  // oneDNN says which implementation it chose
    EXPECT_GE(impl_code(s), 1) << s.name << " " << s.kernel->detail();
    // Winograd does fewer multiplies than the step's MACs: its own implementation code.
    EXPECT_EQ(impl_code(s) == 7, s.kernel->runs_winograd()) << s.name << " " << s.kernel->detail();
    winograd_steps += s.kernel->runs_winograd();
  }
  // resnet20's 16-channel 3x3 convolutions at 32x32 run as Winograd where oneDNN has it (AVX-512).
  EXPECT_EQ(winograd_steps > 0, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                    __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"));
  for (const Step& s : ref.steps) {
    if (s.kind == StepKind::kernel) {
      EXPECT_EQ(impl_code(s), 0) << s.name;
    }
  }
  for (const Step& s : native.steps)
    if (s.kind == StepKind::kernel && (s.op == "Conv2d" || s.op == "Linear")) {
      EXPECT_EQ(impl_code(s), static_cast<int>(Algorithm::native_gemm)) << s.name;
    }
  // The native GEMM's per-thread buffers count only where a step runs on it (the reference has none).
  EXPECT_EQ(ref.breakdown.kernel_workspace, 0u);
  EXPECT_GT(native.breakdown.kernel_workspace, 0u);
  const Plan auto_plan = training_plan(m.graph, 8);
  bool native_gemm = false;
  for (const Step& s : auto_plan.steps) native_gemm |= s.kernel && s.kernel->uses_persistent_workspace();
  EXPECT_EQ(auto_plan.breakdown.kernel_workspace > 0, native_gemm);
}

TEST(StepFeatures, DepthwiseConvolutionsCarryTheirGroups) {
  Network m = io::make_zoo_model("mobilenet_v2", 10, Shape{3, 32, 32}, 1.0, 1);
  const Plan plan = training_plan(m.graph, 2);
  int depthwise = 0;
  for (const Step& s : plan.steps) {
    if (s.op != "Conv2d" || s.pass != Pass::fwd) continue;
    const StepFeatures f = step_features(s);
    const float groups = f.x[static_cast<size_t>(feature("log2_groups"))];
    if (groups > 0) {
      ++depthwise;
      EXPECT_FLOAT_EQ(groups, f.x[static_cast<size_t>(feature("log2_c_in"))]) << s.name;
    }
  }
  EXPECT_EQ(depthwise, 17);  // one per inverted residual block
}

TEST(Executor, StepTimesCoverEveryStep) {
  Network m = io::make_zoo_model("fmnist-cnn", 10, Shape{1, 28, 28}, 1.0, 1);
  const Plan plan = training_plan(m.graph, 8);
  OptimizerState opt(m.graph, plan.trainable, {});
  Executor ex(plan, m.params, &opt);
  const PlanTiming t = time_plan(ex, plan, 2, 3);
  ASSERT_EQ(t.step_ms.size(), plan.steps.size());
  double sum = 0;
  for (double ms : t.step_ms) {
    EXPECT_GE(ms, 0);
    sum += ms;
  }
  EXPECT_GT(sum, 0);
  EXPECT_GT(t.total_ms, 0);
}

// Samples that follow a known law: time = work x (1 ns for op 0, 4 ns for op 1) + 2 us.
std::vector<StepSample> lawful_samples(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> log_work(10, 30);
  std::vector<StepSample> out;
  for (int i = 0; i < n; ++i) {
    StepSample s;
    const int op = i % 2;
    s.features.work = std::exp2(log_work(rng));
    s.features.x[0] = static_cast<float>(op);
    s.features.x[11] = static_cast<float>(std::log2(s.features.work));
    s.ms = s.features.work * (op == 0 ? 1e-6 : 4e-6) + 2e-3;
    out.push_back(s);
  }
  return out;
}

TEST(LatencyModel, LearnsThroughputAndRoundTripsThroughJson) {
  const LatencyModel m = LatencyModel::fit(lawful_samples(2000, 1));
  const auto test = lawful_samples(200, 2);
  std::vector<StepFeatures> f;
  for (const auto& s : test) f.push_back(s.features);
  const std::vector<double> ms = m.predict_ms(f);
  double err = 0;
  for (size_t i = 0; i < test.size(); ++i) err += std::abs(ms[i] - test[i].ms) / test[i].ms;
  EXPECT_LT(err / static_cast<double>(test.size()), 0.05);

  const LatencyModel back = LatencyModel::from_json(m.to_json());
  EXPECT_EQ(back.predict_ms(f), ms);
}

TEST(LatencyModel, ExtrapolatesByThroughputBeyondWhatItSaw) {
  const LatencyModel m = LatencyModel::fit(lawful_samples(2000, 1));
  StepFeatures big;
  big.work = std::exp2(34);  // 16x more work than any sample
  big.x[0] = 0;
  big.x[11] = 34;
  const double ms = m.predict_ms({big})[0];
  EXPECT_NEAR(ms / (big.work * 1e-6), 1.0, 0.1);
}

TEST(LatencyModel, RefusesToFitOrPredictWithoutData) {
  EXPECT_THROW(LatencyModel::fit(lawful_samples(5, 1)), Error);
  EXPECT_THROW(LatencyModel().predict_ms({StepFeatures{}}), Error);
}

DeviceProfile small_profile() {
  DeviceProfile p;
  p.device = "test CPU";
  p.threads = 2;
  p.memory = {30e6, 10000, 5e6};
  p.overhead = {0.1, 0.002};
  p.samples = lawful_samples(400, 3);
  p.latency = LatencyModel::fit(p.samples);
  p.record = {{"networks", 0}};
  return p;
}

TEST(Predictor, MemoryIsThePlanPlusTheProcessPlusTheInput) {
  Network m = io::make_zoo_model("resnet20", 10, Shape{3, 32, 32}, 1.0, 1);
  const Plan plan = training_plan(m.graph, 32);
  const DeviceProfile prof = small_profile();
  const Prediction p = predict(plan, prof, 12345);
  EXPECT_EQ(p.plan_bytes, plan.breakdown.total());
  EXPECT_LE(onednn_distinct_kernels(plan), onednn_kernel_steps(plan));
  EXPECT_LT(onednn_distinct_kernels(plan), onednn_kernel_steps(plan));  // resnet20 repeats its blocks
  EXPECT_EQ(p.process_bytes, static_cast<std::size_t>(30e6 + 10000.0 * onednn_distinct_kernels(plan) +
                                                      (onednn_gemm_passes(plan) > 0 ? 5e6 : 0.0)));
  EXPECT_EQ(p.total_bytes, p.plan_bytes + p.process_bytes + 12345);
  ASSERT_EQ(p.step_ms.size(), plan.steps.size());
  EXPECT_NEAR(p.total_ms, p.steps_ms + 0.1 + 0.002 * static_cast<double>(plan.steps.size()), 1e-9);
  // A bigger batch needs more memory and more time.
  const Prediction p64 = predict(training_plan(m.graph, 64), prof, 12345);
  EXPECT_GT(p64.total_bytes, p.total_bytes);
  EXPECT_GT(p64.steps_ms, p.steps_ms);
}

TEST(DeviceProfile, RoundTripsThroughJson) {
  const DeviceProfile p = small_profile();
  const DeviceProfile q = profile_from_json(nlohmann::json::parse(profile_to_json(p).dump()), "test");
  EXPECT_EQ(q.device, p.device);
  EXPECT_EQ(q.threads, p.threads);
  EXPECT_EQ(q.memory.base_bytes, p.memory.base_bytes);
  EXPECT_EQ(q.overhead.per_step_ms, p.overhead.per_step_ms);
  ASSERT_EQ(q.samples.size(), p.samples.size());
  EXPECT_EQ(q.samples[7].features.x, p.samples[7].features.x);
  std::vector<StepFeatures> f;
  for (const auto& s : p.samples) f.push_back(s.features);
  EXPECT_EQ(q.latency.predict_ms(f), p.latency.predict_ms(f));
}

TEST(DeviceProfile, RejectsWhatIsNotOne) {
  try {
    profile_from_json(nlohmann::json{{"format", "something-else"}}, "x.json");
    FAIL() << "accepted a foreign file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.json: not an edgetrain device profile"), std::string::npos) << e.what();
  }
  nlohmann::json j = profile_to_json(small_profile());
  j["samples"][0].erase(0);
  EXPECT_THROW(profile_from_json(j, "y.json"), Error);
  j = profile_to_json(small_profile());
  j.erase("step_overhead");
  EXPECT_THROW(profile_from_json(j, "z.json"), Error);
}

TEST(SyntheticNet, RandomNetworksCompileAndAreReproducible) {
  std::mt19937_64 a(11), b(11);
  for (int i = 0; i < 25; ++i) {
    SyntheticNet n = random_network(a, 2'000'000'000);
    SyntheticNet m = random_network(b, 2'000'000'000);
    EXPECT_EQ(n.description, m.description);
    CompileOptions o;
    o.batch = n.batch;
    o.trainable = parse_trainable(n.trainable);
    const Plan plan = compile(n.graph, o);
    EXPECT_LE(plan.forward_macs, 2'000'000'000 + plan.forward_macs / n.batch) << n.description;  // cap, or batch 1
    EXPECT_FALSE(plan.steps.empty());
  }
}

TEST(Calibration, RecordsEveryStepOfEveryNetwork) {
  CalibrationOptions o;
  o.seconds = 0.5;
  o.max_step_macs = 200'000'000;
  o.timed_runs = 1;
  o.min_networks = 2;
  int reported = 0;
  const CalibrationData d = calibrate_latency(o, [&](int n, double, const std::string&) { reported = n; });
  ASSERT_GE(d.networks.size(), 2u);
  EXPECT_EQ(reported, static_cast<int>(d.networks.size()));
  size_t steps = 0;
  for (const auto& n : d.networks) {
    steps += static_cast<size_t>(n.steps);
    EXPECT_GT(n.step_ms, 0);
    EXPECT_GT(n.steps_sum_ms, 0);
  }
  EXPECT_EQ(d.steps.size(), steps);
  EXPECT_EQ(d.network_of_step.size(), steps);
}

}  // namespace
}  // namespace edgetrain::predict
