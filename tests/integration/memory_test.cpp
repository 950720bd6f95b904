// The plan's peak is the real peak: the RSS a training step adds (model, optimizer state, arena,
// kernel workspace) agrees with the compiled plan within 5 %, for fmnist-cnn at batch 64 and
// ResNet-18 (224x224) at batch 32.
#include <gtest/gtest.h>

#include <cmath>

#include "io/model_io.hpp"
#include "train/rss.hpp"
#include "train/trainer.hpp"

namespace edgetrain {
namespace {

void expect_planned_peak_is_measured_peak(const std::string& arch, Shape input, int64_t batch) {
  std::vector<float> images(static_cast<size_t>(batch * input.numel()), 0.25f);
  std::vector<int32_t> labels(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) labels[static_cast<size_t>(i)] = static_cast<int32_t>(i % 10);
  const std::size_t before = current_rss_bytes();
  ASSERT_TRUE(reset_peak_rss());
  std::size_t planned = 0;
  {
    Model m = io::make_zoo_model(arch, 10, input, 1.0, 1);
    TrainConfig tc;
    tc.batch = batch;
    tc.optimizer.momentum = 0.9;
    Trainer t(m, tc);
    for (int s = 0; s < 2; ++s) t.train_step(images.data(), labels.data());
    planned = t.plan().breakdown.total();
  }
  const std::size_t measured = peak_rss_bytes() - before;
  const double ratio = static_cast<double>(measured) / static_cast<double>(planned);
  ::testing::Test::RecordProperty("planned_bytes", std::to_string(planned));
  ::testing::Test::RecordProperty("measured_bytes", std::to_string(measured));
  std::printf("%s batch %ld: planned %.1f MiB, measured %.1f MiB (%.3f)\n", arch.c_str(), static_cast<long>(batch),
              static_cast<double>(planned) / 1048576.0, static_cast<double>(measured) / 1048576.0, ratio);
  EXPECT_NEAR(ratio, 1.0, 0.05);
}

TEST(MemoryPlan, FmnistCnnBatch64) { expect_planned_peak_is_measured_peak("fmnist-cnn", Shape{1, 28, 28}, 64); }
TEST(MemoryPlan, ResNet18At224Batch32) { expect_planned_peak_is_measured_peak("resnet18", Shape{3, 224, 224}, 32); }

}  // namespace
}  // namespace edgetrain
