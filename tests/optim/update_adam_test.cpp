// Hand-computed Adam / AdamW steps (lr 0.1, betas 0.9/0.999, eps 1e-8, p0 = 1).
// Step 1 with g: m = 0.1g, v = 0.001g^2, bias corrections 0.1 and 0.001, so
// m_hat = g, sqrt(v_hat) = |g| and p -= lr * g / (|g| + eps).
#include <gtest/gtest.h>

#include <vector>

#include "edgetrain/error.hpp"
#include "optim/update.hpp"

namespace edgetrain::optim {
namespace {

constexpr double kEps = 1e-8;

OptimizerConfig adam(OptimizerKind kind, double wd) {
  OptimizerConfig cfg;
  cfg.kind = kind;
  cfg.lr = 0.1;
  cfg.weight_decay = wd;
  return cfg;
}

TEST(UpdateAdam, FirstStepMovesByLr) {
  const auto cfg = adam(OptimizerKind::adam, 0.0);
  double p = 1.0, m = 0.0, v = 0.0;
  const double g = 0.5;
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, &m, &v, 1);
  EXPECT_DOUBLE_EQ(m, 0.05);
  EXPECT_DOUBLE_EQ(v, 0.00025);
  EXPECT_NEAR(p, 1.0 - 0.1 * 0.5 / (0.5 + kEps), 1e-15);
}

TEST(UpdateAdam, SecondStepWithSignFlip) {
  const auto cfg = adam(OptimizerKind::adam, 0.0);
  double p = 1.0, m = 0.0, v = 0.0;
  const double g1 = 0.5, g2 = -0.5;
  apply_update<double>(cfg, cfg.lr, 1, &p, &g1, &m, &v, 1);
  const double p1 = p;
  apply_update<double>(cfg, cfg.lr, 2, &p, &g2, &m, &v, 1);
  // m = 0.9*0.05 - 0.05 = -0.005; v = 0.999*0.00025 + 0.001*0.25 = 0.00049975
  // bc1 = 1 - 0.81 = 0.19; bc2 = 1 - 0.998001 = 0.001999; v_hat = 0.25 exactly, sqrt = 0.5
  EXPECT_NEAR(m, -0.005, 1e-17);
  EXPECT_NEAR(v, 0.00049975, 1e-17);
  EXPECT_NEAR(p, p1 + 0.1 * (0.005 / 0.19) / (0.5 + kEps), 1e-14);
}

TEST(UpdateAdam, L2WeightDecayEntersTheGradient) {
  const auto cfg = adam(OptimizerKind::adam, 0.1);
  double p = 1.0, m = 0.0, v = 0.0;
  const double g = 0.5;
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, &m, &v, 1);
  // effective g = 0.5 + 0.1*1 = 0.6
  EXPECT_DOUBLE_EQ(m, 0.06);
  EXPECT_NEAR(v, 0.00036, 1e-18);
  EXPECT_NEAR(p, 1.0 - 0.1 * 0.6 / (0.6 + kEps), 1e-15);
}

TEST(UpdateAdamW, DecoupledDecayScalesParamFirst) {
  const auto cfg = adam(OptimizerKind::adamw, 0.1);
  double p = 1.0, m = 0.0, v = 0.0;
  const double g = 0.5;
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, &m, &v, 1);
  // p = 1*(1 - 0.1*0.1) = 0.99, then the plain Adam step on g = 0.5 (moments see no decay)
  EXPECT_DOUBLE_EQ(m, 0.05);
  EXPECT_NEAR(p, 0.99 - 0.1 * 0.5 / (0.5 + kEps), 1e-15);
}

TEST(UpdateAdamW, ZeroGradientOnlyDecays) {
  const auto cfg = adam(OptimizerKind::adamw, 0.5);
  std::vector<float> p = {2.0f, -4.0f};
  const std::vector<float> g = {0.0f, 0.0f};
  std::vector<float> m(2, 0.0f), v(2, 0.0f);
  apply_update<float>(cfg, 0.1, 1, p.data(), g.data(), m.data(), v.data(), 2);
  EXPECT_FLOAT_EQ(p[0], 1.9f);  // * (1 - 0.05)
  EXPECT_FLOAT_EQ(p[1], -3.8f);
}

TEST(UpdateAdam, RequiresBothStateSlots) {
  const auto cfg = adam(OptimizerKind::adam, 0.0);
  double p = 1.0, g = 0.5, m = 0.0;
  EXPECT_THROW(apply_update<double>(cfg, 0.1, 1, &p, &g, &m, nullptr, 1), Error);
  EXPECT_THROW(apply_update<double>(cfg, 0.1, 1, &p, &g, nullptr, &m, 1), Error);
}

}  // namespace
}  // namespace edgetrain::optim
