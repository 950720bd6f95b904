// Hand-computed SGD steps (lr 0.1, p0 = 1, g = 0.5 each step).
#include <gtest/gtest.h>

#include <vector>

#include "edgetrain/error.hpp"
#include "optim/update.hpp"

namespace edgetrain::optim {
namespace {

OptimizerConfig sgd(double momentum, bool nesterov, double wd) {
  OptimizerConfig cfg;
  cfg.kind = OptimizerKind::sgd;
  cfg.lr = 0.1;
  cfg.momentum = momentum;
  cfg.nesterov = nesterov;
  cfg.weight_decay = wd;
  return cfg;
}

TEST(UpdateSgd, PlainNoMomentumNeedsNoState) {
  const auto cfg = sgd(0.0, false, 0.0);
  double p = 1.0;
  const double g = 0.5;
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, nullptr, nullptr, 1);
  EXPECT_DOUBLE_EQ(p, 0.95);  // 1 - 0.1*0.5
  apply_update<double>(cfg, cfg.lr, 2, &p, &g, nullptr, nullptr, 1);
  EXPECT_DOUBLE_EQ(p, 0.90);
}

TEST(UpdateSgd, PlainWithWeightDecay) {
  const auto cfg = sgd(0.0, false, 0.1);
  double p = 1.0;
  const double g = 0.5;
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, nullptr, nullptr, 1);
  EXPECT_DOUBLE_EQ(p, 0.94);  // d = 0.5 + 0.1*1 = 0.6
}

TEST(UpdateSgd, MomentumWithWeightDecay) {
  const auto cfg = sgd(0.9, false, 0.1);
  double p = 1.0, buf = 0.0;
  const double g = 0.5;
  // step 1: d = 0.6, buf = 0.6, p = 1 - 0.06 = 0.94
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, &buf, nullptr, 1);
  EXPECT_DOUBLE_EQ(buf, 0.6);
  EXPECT_DOUBLE_EQ(p, 0.94);
  // step 2: d = 0.5 + 0.094 = 0.594, buf = 0.54 + 0.594 = 1.134, p = 0.94 - 0.1134 = 0.8266
  apply_update<double>(cfg, cfg.lr, 2, &p, &g, &buf, nullptr, 1);
  EXPECT_DOUBLE_EQ(buf, 1.134);
  EXPECT_DOUBLE_EQ(p, 0.8266);
}

TEST(UpdateSgd, NesterovWithWeightDecay) {
  const auto cfg = sgd(0.9, true, 0.1);
  double p = 1.0, buf = 0.0;
  const double g = 0.5;
  // step 1: d = 0.6, buf = 0.6, d' = 0.6 + 0.54 = 1.14, p = 1 - 0.114 = 0.886
  apply_update<double>(cfg, cfg.lr, 1, &p, &g, &buf, nullptr, 1);
  EXPECT_DOUBLE_EQ(buf, 0.6);
  EXPECT_DOUBLE_EQ(p, 0.886);
  // step 2: d = 0.5 + 0.0886 = 0.5886, buf = 0.54 + 0.5886 = 1.1286,
  //         d' = 0.5886 + 0.9*1.1286 = 1.60434, p = 0.886 - 0.160434 = 0.725566
  apply_update<double>(cfg, cfg.lr, 2, &p, &g, &buf, nullptr, 1);
  EXPECT_DOUBLE_EQ(buf, 1.1286);
  EXPECT_DOUBLE_EQ(p, 0.725566);
}

TEST(UpdateSgd, ElementsAreIndependentAndLrArgumentIsUsed) {
  const auto cfg = sgd(0.9, false, 0.0);
  std::vector<float> p = {1.0f, -2.0f, 0.0f};
  const std::vector<float> g = {0.5f, -0.25f, 1.0f};
  std::vector<float> buf(3, 0.0f);
  apply_update<float>(cfg, 0.5, 1, p.data(), g.data(), buf.data(), nullptr, 3);  // lr 0.5, not cfg.lr
  EXPECT_FLOAT_EQ(p[0], 0.75f);
  EXPECT_FLOAT_EQ(p[1], -1.875f);
  EXPECT_FLOAT_EQ(p[2], -0.5f);
}

TEST(UpdateSgd, RejectsMissingStateAndBadArguments) {
  const auto cfg = sgd(0.9, false, 0.0);
  double p = 1.0, g = 0.5, buf = 0.0;
  EXPECT_THROW(apply_update<double>(cfg, 0.1, 1, &p, &g, nullptr, nullptr, 1), Error);
  EXPECT_THROW(apply_update<double>(cfg, 0.1, 0, &p, &g, &buf, nullptr, 1), Error);
  EXPECT_THROW(apply_update<double>(cfg, -0.1, 1, &p, &g, &buf, nullptr, 1), Error);
  EXPECT_NO_THROW(apply_update<double>(cfg, 0.1, 1, nullptr, nullptr, nullptr, nullptr, 0));
}

}  // namespace
}  // namespace edgetrain::optim
