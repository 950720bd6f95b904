// Numerics pinned to PyTorch 1.13: forward logits, loss, every parameter gradient, and the losses,
// parameters and BN statistics after 5 SGD-momentum steps and after 5 Adam steps. Fixtures come from
// scripts/make_golden.py (run with Debian's python3-torch) and are committed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "compile/compile.hpp"
#include "golden/golden_models.hpp"
#include "runtime/executor.hpp"
#include "runtime/network.hpp"

namespace edgetrain {
namespace {

using nlohmann::json;

json load_fixture(const std::string& name) {
  std::ifstream f(std::string(EDGETRAIN_SOURCE_DIR) + "/tests/golden/fixtures/" + name + ".json");
  EXPECT_TRUE(f.good()) << "missing fixture " << name;
  return json::parse(f);
}

std::vector<float> floats(const json& t) { return t.at("data").get<std::vector<float>>(); }

void load_into(const json& t, const TensorView& v, const std::string& name) {
  auto d = floats(t);
  ASSERT_EQ(static_cast<int64_t>(d.size()), v.numel()) << name;
  std::memcpy(v.data, d.data(), d.size() * 4);
}

Network model_from(const std::string& name, const json& fx) {
  Network m;
  m.graph = name == "tiny_resnet" ? golden::tiny_resnet() : golden::tiny_mbv2();
  m.params = ParameterStore(m.graph, 0);
  for (size_t p = 0; p < m.graph.params.size(); ++p)
    load_into(fx.at("params").at(m.graph.params[p].name), m.params.param(static_cast<int>(p)), m.graph.params[p].name);
  for (size_t s = 0; s < m.graph.states.size(); ++s)
    load_into(fx.at("buffers").at(m.graph.states[s].name), m.params.state(static_cast<int>(s)), m.graph.states[s].name);
  return m;
}

// |a - b| <= atol + rtol * |b|, elementwise, reporting the worst element.
void expect_close(const float* a, const std::vector<float>& b, double rtol, double atol, const std::string& what) {
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    double excess = std::abs(static_cast<double>(a[i]) - b[i]) - (atol + rtol * std::abs(b[i]));
    if (excess > worst) worst = excess, at = i;
  }
  EXPECT_LE(worst, 0.0) << what << ": element " << at << " is " << a[at] << ", PyTorch " << b[at];
}

int find_buffer(const Plan& plan, const std::string& label) {
  for (size_t i = 0; i < plan.buffers.size(); ++i)
    if (plan.buffers[i].label == label) return static_cast<int>(i);
  return -1;
}

struct Batch {
  std::vector<float> images;
  std::vector<int32_t> labels;
};
Batch batch_of(const json& fx) { return {floats(fx.at("input")), fx.at("labels").get<std::vector<int32_t>>()}; }

// Parameter: (fixture, backend).
class Golden : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  const std::string& model() const { return std::get<0>(GetParam()); }
  const std::string& backend() const { return std::get<1>(GetParam()); }
};

TEST_P(Golden, ForwardLossAndGradientsMatchPyTorch) {
  json fx = load_fixture(model());
  Network m = model_from(model(), fx);
  CompileOptions o;
  o.backend = parse_backend_choice(backend());
  o.batch = fx.at("batch");
  o.optimizer.lr = 0.0;  // the update runs but changes nothing: gradients stay inspectable
  o.optimizer.momentum = 0.0;
  o.planner = PlannerKind::no_reuse;  // every buffer keeps its last value after the step
  Plan plan = compile(m.graph, o);
  OptimizerState opt(m.graph, plan.trainable, o.optimizer);
  Executor exec(plan, m.params, &opt);
  exec.set_learning_rate(0.0);
  Batch b = batch_of(fx);
  exec.run(b.images.data(), b.labels.data());

  EXPECT_NEAR(exec.loss(), fx.at("loss").get<double>(), 1e-5);
  int logits = find_buffer(plan, m.graph.values[m.graph.logits].name);
  ASSERT_GE(logits, 0);
  expect_close(reinterpret_cast<const float*>(exec.buffer(logits).data), floats(fx.at("logits")), 1e-4, 1e-5, "logits");
  for (size_t k = 0; k < m.graph.params.size(); ++k) {
    const Slot& p = m.graph.params[k];
    const std::vector<float> grad = exec.param_gradient(static_cast<int>(k));
    ASSERT_FALSE(grad.empty()) << "no gradient for " << p.name;
    expect_close(grad.data(), floats(fx.at("grads").at(p.name)), 1e-3, 2e-5, "gradient of " + p.name);
  }
  for (size_t s = 0; s < m.graph.states.size(); ++s)
    expect_close(m.params.state(static_cast<int>(s)).as<float>(),
                 floats(fx.at("buffers_after_forward").at(m.graph.states[s].name)), 1e-4, 1e-6, m.graph.states[s].name);
}

void run_optimizer_case(const std::string& model, const std::string& which, const std::string& backend) {
  json fx = load_fixture(model);
  const json& cfg = fx.at(which);
  Network m = model_from(model, fx);
  CompileOptions o;
  o.backend = parse_backend_choice(backend);
  o.batch = fx.at("batch");
  if (which == "sgd") {
    o.optimizer.kind = optim::OptimizerKind::sgd;
    o.optimizer.momentum = cfg.at("momentum");
    o.optimizer.nesterov = cfg.at("nesterov");
  } else {
    o.optimizer.kind = optim::OptimizerKind::adam;
    o.optimizer.beta1 = cfg.at("betas")[0];
    o.optimizer.beta2 = cfg.at("betas")[1];
    o.optimizer.eps = cfg.at("eps");
  }
  o.optimizer.lr = cfg.at("lr");
  o.optimizer.weight_decay = cfg.at("weight_decay");
  Plan plan = compile(m.graph, o);
  OptimizerState opt(m.graph, plan.trainable, o.optimizer);
  Executor exec(plan, m.params, &opt);
  Batch b = batch_of(fx);
  auto losses = cfg.at("losses").get<std::vector<double>>();
  for (size_t step = 0; step < losses.size(); ++step) {
    exec.run(b.images.data(), b.labels.data());
    EXPECT_NEAR(exec.loss(), losses[step], 2e-4 * (1 + losses[step])) << which << " step " << step;
  }
  for (size_t p = 0; p < m.graph.params.size(); ++p)
    expect_close(m.params.param(static_cast<int>(p)).as<float>(),
                 floats(cfg.at("params_after").at(m.graph.params[p].name)), 2e-3, 2e-4,
                 which + " parameter " + m.graph.params[p].name);
  for (size_t s = 0; s < m.graph.states.size(); ++s)
    expect_close(m.params.state(static_cast<int>(s)).as<float>(),
                 floats(cfg.at("buffers_after").at(m.graph.states[s].name)), 1e-3, 1e-5,
                 which + " state " + m.graph.states[s].name);
}

TEST_P(Golden, FiveSgdMomentumStepsMatchPyTorch) { run_optimizer_case(model(), "sgd", backend()); }
TEST_P(Golden, FiveAdamStepsMatchPyTorch) { run_optimizer_case(model(), "adam", backend()); }

INSTANTIATE_TEST_SUITE_P(ModelsAndBackends, Golden,
                         ::testing::Combine(::testing::Values("tiny_resnet", "tiny_mbv2"),
                                            ::testing::Values("ref", "onednn")));

}  // namespace
}  // namespace edgetrain
