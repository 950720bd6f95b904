// The Predictor through the public API, on a short calibration of this machine (the CTest fixture
// device_profile passes its path in EDGETRAIN_TEST_PROFILE; run alone, the test is skipped).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "api_test_util.hpp"

namespace edgetrain {
namespace {

using api_test::quadrant_dataset;
using api_test::small_model;

class ApiPredictor : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("EDGETRAIN_TEST_PROFILE");
    if (path == nullptr) GTEST_SKIP() << "no device profile (run through ctest: the device_profile fixture makes one)";
    predictor_.emplace(Predictor::load(path));
  }
  std::optional<Predictor> predictor_;
};

TrainingOptions options(int64_t batch) {
  TrainingOptions t;
  t.batch = batch;
  t.optimizer.kind = Optimizer::sgd;
  return t;
}

TEST_F(ApiPredictor, AStepCostIsItsPlanItsProcessAndItsInput) {
  const Model m = small_model();
  const CostEstimate c = predictor_->estimate(m, options(16), 1000);
  EXPECT_EQ(c.plan.total, TrainingSession::preview(m, options(16)).memory.total);
  EXPECT_EQ(c.total_bytes, c.plan.total + c.process_bytes + c.input_bytes);
  EXPECT_EQ(c.input_bytes, 16u * (28 * 28 * sizeof(float) + sizeof(int32_t)));
  EXPECT_NEAR(c.step_ms, c.kernel_ms + c.overhead_ms, 1e-9 * c.step_ms);
  EXPECT_NEAR(c.epoch_seconds, c.step_ms / 1e3 * 63, 1e-9 * c.epoch_seconds);  // ceil(1000 / 16) steps
  EXPECT_GT(predictor_->threads(), 0);
  EXPECT_FALSE(predictor_->device().empty());
}

TEST_F(ApiPredictor, TheLargestBatchFitsAndTheNextDoesNot) {
  const Model m = small_model();
  const std::size_t budget = predictor_->estimate(m, options(40), 1).total_bytes;
  const int64_t b = predictor_->largest_batch(m, options(1), budget);
  EXPECT_GE(b, 40);
  EXPECT_LE(predictor_->estimate(m, options(b), 1, budget).total_bytes, budget);
  EXPECT_GT(predictor_->estimate(m, options(b + 1), 1, budget).total_bytes, budget);
  EXPECT_EQ(predictor_->largest_batch(m, options(1), 1024), 0);
}

TEST_F(ApiPredictor, AFitAddsItsDataLoaderAndEvaluationOrCheckpoint) {
  const Model m = small_model();
  const Dataset train = quadrant_dataset(100, 1), test = quadrant_dataset(40, 2);
  const FitCostEstimate alone = predictor_->estimate_fit(m, options(16), train);
  EXPECT_EQ(alone.data_bytes, train.resident_bytes());
  EXPECT_EQ(alone.evaluation_bytes, 0u);
  EXPECT_GT(alone.loader_bytes, alone.step.input_bytes);  // a ring of prepared batches
  EXPECT_GT(alone.checkpoint_bytes, alone.step.plan.weights);
  EXPECT_EQ(alone.total_bytes, alone.step.total_bytes - alone.step.input_bytes + alone.data_bytes + alone.loader_bytes +
                                   alone.checkpoint_bytes);
  EXPECT_EQ(alone.epoch_samples, 96);  // full batches only
  FitOptions fit;
  fit.test = test;
  const FitCostEstimate evaluated = predictor_->estimate_fit(m, options(16), train, fit);
  EXPECT_EQ(evaluated.data_bytes, train.resident_bytes() + test.resident_bytes());
  EXPECT_GT(evaluated.evaluation_bytes, 0u);
  EXPECT_GT(evaluated.total_bytes, alone.total_bytes);
  EXPECT_THROW(predictor_->estimate_fit(m, options(128), train), Error);  // not one batch of data
}

}  // namespace
}  // namespace edgetrain
