// Through the public API, a training step and an inference run allocate nothing after warm-up (on
// the reference backend: oneDNN 2.6 allocates a small argument map inside every primitive call).
#include <gtest/gtest.h>

#include "api_test_util.hpp"
#include "support/counting_new.hpp"

namespace edgetrain {
namespace {

TEST(ApiAlloc, TrainingStepAndInferenceRunAllocateNothingAfterWarmup) {
  Model m = api_test::small_model();
  const api_test::Batch b = api_test::quadrant_batch(8, 21);
  TrainingOptions t;
  t.batch = 8;
  t.optimizer.kind = Optimizer::adam;
  t.schedule = ScheduleOptions::over_epochs(Schedule::cosine, 2, 10);
  t.engine.backend = Backend::reference;
  TrainingSession s(m, t);
  InferenceOptions io;
  io.batch = 4;
  io.engine.backend = Backend::reference;
  InferenceSession serve(m, io);
  for (int i = 0; i < 2; ++i) {
    s.step(b.images.data(), b.labels.data());
    serve.run(b.images.data(), 3);
  }
  const long before = test::allocations_so_far();
  for (int i = 0; i < 5; ++i) s.step(b.images.data(), b.labels.data());
  const long after_steps = test::allocations_so_far();
  EXPECT_EQ(after_steps - before, 0) << "training steps";
  for (int i = 0; i < 5; ++i) serve.run(b.images.data(), 3);
  EXPECT_EQ(test::allocations_so_far() - after_steps, 0) << "inference runs";
}

}  // namespace
}  // namespace edgetrain
