#include "optim/optimizer_config.hpp"

#include <gtest/gtest.h>

#include "edgetrain/error.hpp"

namespace edgetrain::optim {
namespace {

TEST(OptimizerConfig, StateSlots) {
  OptimizerConfig cfg;
  EXPECT_EQ(state_slots(cfg), 1);  // sgd with default momentum 0.9
  cfg.momentum = 0.0;
  EXPECT_EQ(state_slots(cfg), 0);
  cfg.kind = OptimizerKind::adam;
  EXPECT_EQ(state_slots(cfg), 2);
  cfg.kind = OptimizerKind::adamw;
  EXPECT_EQ(state_slots(cfg), 2);
}

TEST(OptimizerConfig, ParseNames) {
  EXPECT_EQ(parse_optimizer("sgd"), OptimizerKind::sgd);
  EXPECT_EQ(parse_optimizer("adam"), OptimizerKind::adam);
  EXPECT_EQ(parse_optimizer("adamw"), OptimizerKind::adamw);
  EXPECT_EQ(optimizer_name(OptimizerKind::adamw), "adamw");
}

TEST(OptimizerConfig, ParseUnknownListsChoices) {
  try {
    parse_optimizer("rmsprop");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("rmsprop"), std::string::npos) << msg;
    EXPECT_NE(msg.find("sgd, adam, adamw"), std::string::npos) << msg;
  }
}

TEST(OptimizerConfig, ValidateAcceptsDefaults) {
  OptimizerConfig cfg;
  EXPECT_NO_THROW(validate(cfg));
  cfg.kind = OptimizerKind::adam;
  EXPECT_NO_THROW(validate(cfg));
  cfg.kind = OptimizerKind::adamw;
  cfg.weight_decay = 1e-2;
  EXPECT_NO_THROW(validate(cfg));
}

TEST(OptimizerConfig, ValidateRejectsBadValues) {
  auto rejects = [](auto mutate) {
    OptimizerConfig cfg;
    mutate(cfg);
    EXPECT_THROW(validate(cfg), Error);
  };
  rejects([](OptimizerConfig& c) { c.lr = -0.1; });
  rejects([](OptimizerConfig& c) { c.weight_decay = -1e-4; });
  rejects([](OptimizerConfig& c) { c.momentum = 1.0; });
  rejects([](OptimizerConfig& c) { c.momentum = -0.5; });
  rejects([](OptimizerConfig& c) { c.momentum = 0.0; c.nesterov = true; });
  rejects([](OptimizerConfig& c) { c.kind = OptimizerKind::adam; c.beta1 = 1.0; });
  rejects([](OptimizerConfig& c) { c.kind = OptimizerKind::adam; c.beta2 = -0.1; });
  rejects([](OptimizerConfig& c) { c.kind = OptimizerKind::adamw; c.eps = 0.0; });
  rejects([](OptimizerConfig& c) { c.kind = OptimizerKind::adam; c.nesterov = true; });
}

}  // namespace
}  // namespace edgetrain::optim
