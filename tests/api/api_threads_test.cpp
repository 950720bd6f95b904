// A const Model may be evaluated from several threads at once: inference sessions and evaluate()
// over one model, run concurrently, give exactly what they give one at a time. Also run under
// ThreadSanitizer by the test command.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "api_test_util.hpp"

namespace edgetrain {
namespace {

using api_test::quadrant_batch;

TEST(ApiThreads, ConstModelServesSeveralThreadsAtOnce) {
  Model m = api_test::small_model();
  const api_test::Batch b = quadrant_batch(8, 11);
  {
    // Train a few steps first: the weights are then held in the training plan's blocked layouts,
    // and the first readers convert them back while others read.
    TrainingOptions t;
    t.batch = 8;
    TrainingSession s(m, t);
    for (int i = 0; i < 3; ++i) s.step(b.images.data(), b.labels.data());
  }
  const Model& model = m;
  constexpr int kThreads = 4, kRuns = 5;
  std::vector<std::vector<float>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      InferenceOptions o;
      o.batch = 2;
      InferenceSession session(model, o);
      for (int r = 0; r < kRuns; ++r) got[static_cast<size_t>(t)] = session.logits(b.images.data() + 2 * t * 784, 2);
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    InferenceOptions o;
    o.batch = 2;
    InferenceSession alone(model, o);
    EXPECT_EQ(got[static_cast<size_t>(t)], alone.logits(b.images.data() + 2 * t * 784, 2)) << "thread " << t;
  }
}

TEST(ApiThreads, ConcurrentEvaluationsAgree) {
  Model m = api_test::small_model();
  const Dataset data = api_test::quadrant_dataset(40, 12);
  const Model& model = m;
  EvalOptions o;
  o.batch = 16;
  const Evaluation alone = model.evaluate(data, o);
  std::vector<Evaluation> got(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&, t] { got[static_cast<size_t>(t)] = model.evaluate(data, o); });
  for (auto& th : threads) th.join();
  for (const Evaluation& e : got) {
    EXPECT_EQ(e.samples, alone.samples);
    EXPECT_EQ(e.accuracy, alone.accuracy);
    EXPECT_EQ(e.loss, alone.loss);
  }
}

}  // namespace
}  // namespace edgetrain
