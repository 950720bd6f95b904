// lr schedules at boundary iterations (warm-up end, step edges, cosine end and beyond).
#include "optim/schedule.hpp"

#include <gtest/gtest.h>

#include "edgetrain/error.hpp"

namespace edgetrain::optim {
namespace {

TEST(Schedule, ConstantWithoutWarmup) {
  ScheduleConfig cfg;
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 1000000), 0.1);
}

TEST(Schedule, LinearWarmupBoundaries) {
  ScheduleConfig cfg;
  cfg.warmup_iters = 4;
  cfg.warmup_start_factor = 0.2;
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 0), 0.2);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 2), 0.6);  // 0.2 + 0.8 * 2/4
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 3), 0.8);  // last warm-up iteration
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 4), 1.0);  // first after warm-up
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 5), 1.0);
}

TEST(Schedule, StepDecayEdges) {
  ScheduleConfig cfg;
  cfg.kind = ScheduleKind::step;
  cfg.step_size_iters = 3;
  cfg.gamma = 0.5;
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 2), 0.1);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 3), 0.05);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 5), 0.05);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 6), 0.025);
}

TEST(Schedule, StepDecayCountsFromWarmupEnd) {
  ScheduleConfig cfg;
  cfg.kind = ScheduleKind::step;
  cfg.warmup_iters = 2;
  cfg.warmup_start_factor = 0.5;
  cfg.step_size_iters = 3;
  cfg.gamma = 0.1;
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 0), 0.5);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 1), 0.75);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 2), 1.0);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 4), 1.0);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 5), 0.1);
  EXPECT_DOUBLE_EQ(lr_at(cfg, 1.0, 8), 0.01);
}

TEST(Schedule, CosineEndpointsMidpointAndClamp) {
  ScheduleConfig cfg;
  cfg.kind = ScheduleKind::cosine;
  cfg.warmup_iters = 2;
  cfg.total_iters = 10;  // cosine over iterations 2..10
  cfg.min_lr = 0.01;
  EXPECT_DOUBLE_EQ(lr_at(cfg, 0.1, 2), 0.1);
  EXPECT_NEAR(lr_at(cfg, 0.1, 6), 0.055, 1e-15);  // halfway: (base + min) / 2
  EXPECT_NEAR(lr_at(cfg, 0.1, 10), 0.01, 1e-15);
  EXPECT_NEAR(lr_at(cfg, 0.1, 11), 0.01, 1e-15);  // clamped, no restart
  EXPECT_NEAR(lr_at(cfg, 0.1, 1000), 0.01, 1e-15);
  EXPECT_GT(lr_at(cfg, 0.1, 9), 0.01);
}

TEST(Schedule, ParseNames) {
  EXPECT_EQ(parse_schedule("constant"), ScheduleKind::constant);
  EXPECT_EQ(parse_schedule("step"), ScheduleKind::step);
  EXPECT_EQ(parse_schedule("cosine"), ScheduleKind::cosine);
  try {
    parse_schedule("linear");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("constant, step, cosine"), std::string::npos) << e.what();
  }
}

TEST(Schedule, Validate) {
  auto rejects = [](auto mutate) {
    ScheduleConfig cfg;
    mutate(cfg);
    EXPECT_THROW(validate(cfg), Error);
  };
  EXPECT_NO_THROW(validate(ScheduleConfig{}));
  rejects([](ScheduleConfig& c) { c.warmup_iters = -1; });
  rejects([](ScheduleConfig& c) { c.warmup_iters = 3; c.warmup_start_factor = 0.0; });
  rejects([](ScheduleConfig& c) { c.warmup_iters = 3; c.warmup_start_factor = 1.5; });
  rejects([](ScheduleConfig& c) { c.kind = ScheduleKind::step; });  // step_size_iters 0
  rejects([](ScheduleConfig& c) { c.kind = ScheduleKind::step; c.step_size_iters = 2; c.gamma = 0; });
  rejects([](ScheduleConfig& c) { c.kind = ScheduleKind::cosine; c.total_iters = 0; });
  rejects([](ScheduleConfig& c) {
    c.kind = ScheduleKind::cosine, c.warmup_iters = 5, c.total_iters = 5;
  });
  rejects([](ScheduleConfig& c) { c.kind = ScheduleKind::cosine, c.total_iters = 5, c.min_lr = -1; });
  EXPECT_THROW(lr_at(ScheduleConfig{}, 0.1, -1), Error);
}

}  // namespace
}  // namespace edgetrain::optim
