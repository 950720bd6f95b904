// The library reads no environment variable: the EDGETRAIN_* switches the CLI maps onto options
// change nothing when a program sets them and calls the library.
#include <gtest/gtest.h>

#include <cstdlib>

#include "api_test_util.hpp"

namespace edgetrain {
namespace {

TEST(ApiEnvironment, SwitchesInTheEnvironmentChangeNothing) {
  Model m = api_test::small_model();
  TrainingOptions t;
  t.batch = 8;
  const PlanSummary clean = TrainingSession::preview(m, t);
  EngineOptions off;
  off.planner = Planner::no_reuse;
  off.blocked_layouts = false;
  off.fuse_activations = false;
  TrainingOptions t_off = t;
  t_off.engine = off;
  const PlanSummary switched = TrainingSession::preview(m, t_off);
  ASSERT_NE(clean.memory.arena, switched.memory.arena);  // the options themselves do change the plan

  ::setenv("EDGETRAIN_NO_PLANNER", "1", 1);
  ::setenv("EDGETRAIN_LAYOUT", "plain", 1);
  ::setenv("EDGETRAIN_PARAM_LAYOUT", "plain", 1);
  ::setenv("EDGETRAIN_FUSE", "0", 1);
  ::setenv("EDGETRAIN_WINOGRAD", "0", 1);
  ::setenv("EDGETRAIN_VERBOSE", "2", 1);
  const PlanSummary with_env = TrainingSession::preview(m, t);
  EXPECT_EQ(with_env.memory.arena, clean.memory.arena);
  EXPECT_EQ(with_env.memory.total, clean.memory.total);
  EXPECT_EQ(with_env.steps, clean.steps);
  EXPECT_EQ(log_level(), 0);
  testing::internal::CaptureStderr();
  TrainingSession s(m, t);
  const api_test::Batch b = api_test::quadrant_batch(8, 31);
  s.step(b.images.data(), b.labels.data());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // the library prints nothing unless asked
}

}  // namespace
}  // namespace edgetrain
