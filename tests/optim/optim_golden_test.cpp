// Optimizer steps and lr schedules against PyTorch 1.13 (tests/optim/optim_fixture.json,
// written by scripts/make_optim_fixture.py in float64).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "optim/schedule.hpp"
#include "optim/update.hpp"

namespace edgetrain::optim {
namespace {

using nlohmann::json;

const json& fixture() {
  static const json j = [] {
    const std::string path = std::string(EDGETRAIN_SOURCE_DIR) + "/tests/optim/optim_fixture.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return json::parse(in);
  }();
  return j;
}

// |a - ref| <= rel * |ref|, with a tiny absolute floor for reference values at zero.
void expect_close(double actual, double ref, double rel, const std::string& what) {
  EXPECT_LE(std::abs(actual - ref), rel * std::abs(ref) + 1e-12)
      << what << ": got " << actual << ", torch " << ref;
}

OptimizerConfig config_from(const json& o) {
  OptimizerConfig cfg;
  cfg.kind = parse_optimizer(o.at("kind").get<std::string>());
  cfg.lr = o.at("lr").get<double>();
  cfg.weight_decay = o.at("weight_decay").get<double>();
  if (cfg.kind == OptimizerKind::sgd) {
    cfg.momentum = o.at("momentum").get<double>();
    cfg.nesterov = o.at("nesterov").get<bool>();
  } else {
    cfg.beta1 = o.at("beta1").get<double>();
    cfg.beta2 = o.at("beta2").get<double>();
    cfg.eps = o.at("eps").get<double>();
  }
  validate(cfg);
  return cfg;
}

template <class T>
void check_optimizers(double rel) {
  const auto& fx = fixture();
  const auto param0 = fx.at("param0").get<std::vector<double>>();
  const auto grads = fx.at("grads").get<std::vector<std::vector<double>>>();
  ASSERT_FALSE(fx.at("optimizers").empty());
  for (const auto& o : fx.at("optimizers")) {
    const auto name = o.at("name").get<std::string>();
    const OptimizerConfig cfg = config_from(o);
    const auto expected = o.at("params_after_step").get<std::vector<std::vector<double>>>();
    ASSERT_EQ(expected.size(), grads.size()) << name;
    const auto n = static_cast<int64_t>(param0.size());
    std::vector<T> p(param0.begin(), param0.end()), g(n), s0(n, T(0)), s1(n, T(0));
    for (size_t step = 0; step < grads.size(); ++step) {
      for (int64_t i = 0; i < n; ++i) g[i] = static_cast<T>(grads[step][i]);
      apply_update<T>(cfg, cfg.lr, static_cast<int64_t>(step) + 1, p.data(), g.data(), s0.data(),
                      s1.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        expect_close(p[i], expected[step][i], rel,
                     name + " step " + std::to_string(step + 1) + " i " + std::to_string(i));
      }
    }
  }
}

TEST(OptimGolden, OptimizersDoubleMatchTorch) { check_optimizers<double>(1e-6); }
TEST(OptimGolden, OptimizersFloatMatchTorch) { check_optimizers<float>(1e-5); }

TEST(OptimGolden, SchedulesMatchTorch) {
  const auto& fx = fixture();
  ASSERT_FALSE(fx.at("schedules").empty());
  for (const auto& s : fx.at("schedules")) {
    const auto name = s.at("name").get<std::string>();
    ScheduleConfig cfg;
    cfg.kind = parse_schedule(s.at("kind").get<std::string>());
    cfg.warmup_iters = s.value("warmup_iters", int64_t{0});
    cfg.warmup_start_factor = s.value("warmup_start_factor", cfg.warmup_start_factor);
    cfg.step_size_iters = s.value("step_size_iters", int64_t{0});
    cfg.gamma = s.value("gamma", cfg.gamma);
    cfg.total_iters = s.value("total_iters", int64_t{0});
    cfg.min_lr = s.value("min_lr", 0.0);
    validate(cfg);
    const double base_lr = s.at("base_lr").get<double>();
    const auto lrs = s.at("lrs").get<std::vector<double>>();
    for (size_t it = 0; it < lrs.size(); ++it) {
      expect_close(lr_at(cfg, base_lr, static_cast<int64_t>(it)), lrs[it], 1e-6,
                   name + " iteration " + std::to_string(it));
    }
  }
}

}  // namespace
}  // namespace edgetrain::optim
