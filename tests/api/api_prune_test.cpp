// Pruning through the public API: a ranking made once prunes like Model::pruned, and a training
// session pruned mid-run keeps training where it was (optimizer state sliced, counters kept).
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "api_test_util.hpp"

namespace edgetrain {
namespace {

using api_test::Batch;
using api_test::quadrant_batch;
using api_test::quadrant_dataset;
using api_test::small_model;

TrainingOptions momentum_training() {
  TrainingOptions t;
  t.batch = 8;
  t.optimizer.kind = Optimizer::sgd;
  t.optimizer.lr = 0.05;
  t.optimizer.momentum = 0.9;
  return t;
}

void expect_same_weights(const Model& a, const Model& b) {
  ASSERT_EQ(a.parameters().size(), b.parameters().size());
  for (const ParameterInfo& p : a.parameters()) EXPECT_EQ(a.parameter(p.name), b.parameter(p.name)) << p.name;
}

TEST(ApiPrune, ARankingPrunesAtManyLevelsLikePruningDirectly) {
  const Model m = small_model();
  PruneOptions p;
  p.level = 0.5;
  const ChannelRanking ranking = ChannelRanking::rank(m, p);
  EXPECT_EQ(ranking.criterion(), PruneCriterion::l1);
  EXPECT_GT(ranking.channels(), 0);
  expect_same_weights(m.pruned(ranking, 0.5), m.pruned(p));
  const Model light = m.pruned(ranking, 0.3), heavy = m.pruned(ranking, 0.7);
  EXPECT_GT(light.parameter_count(), heavy.parameter_count());
  const double reached = 1.0 - static_cast<double>(heavy.parameter_count()) / static_cast<double>(m.parameter_count());
  EXPECT_NEAR(reached, 0.7, 0.05);
  EXPECT_THROW(heavy.pruned(ranking, 0.3), Error);  // ranked for another architecture's shapes
  EXPECT_THROW(m.pruned(ranking, 1.0), Error);      // a level out of range
  p.criterion = PruneCriterion::apoz;
  EXPECT_TRUE(needs_data(p.criterion));
  EXPECT_THROW(ChannelRanking::rank(m, p), Error);  // a data criterion needs data
  const ChannelRanking measured = ChannelRanking::rank(m, p, quadrant_dataset(32, 3));
  EXPECT_EQ(measured.criterion(), PruneCriterion::apoz);
  expect_same_weights(m.pruned(measured, 0.5), m.pruned(p, quadrant_dataset(32, 3)));
}

// Pruning nothing must leave training exactly where it was: had the momentum been lost (or the step
// count, or the learning-rate override), the two runs would part.
TEST(ApiPrune, PruningASessionKeepsItsOptimizerStateAndCounters) {
  Model a = small_model(), b = small_model();
  TrainingSession sa(a, momentum_training()), sb(b, momentum_training());
  const Batch x = quadrant_batch(8, 11);
  for (TrainingSession* s : {&sa, &sb}) {
    s->set_learning_rate(0.02);
    for (int i = 0; i < 3; ++i) s->step(x.images.data(), x.labels.data());
  }
  EXPECT_EQ(sb.prune(ChannelRanking::rank(sb.model(), {}), 0.0), 0.0);
  EXPECT_EQ(sb.steps_done(), 3);
  EXPECT_DOUBLE_EQ(sb.learning_rate(), 0.02);
  for (TrainingSession* s : {&sa, &sb})
    for (int i = 0; i < 3; ++i) s->step(x.images.data(), x.labels.data());
  expect_same_weights(sa.model(), sb.model());
}

TEST(ApiPrune, APrunedSessionTrainsSavesAndResumesAndLeavesTheOldModelAlone) {
  Model m = small_model();
  const int64_t before = m.parameter_count();
  InferenceSession served(m, {});
  TrainingSession s(m, momentum_training());
  const Batch x = quadrant_batch(8, 5);
  for (int i = 0; i < 3; ++i) s.step(x.images.data(), x.labels.data());

  const ChannelRanking other_model = ChannelRanking::rank(m.pruned(PruneOptions{}), {});
  EXPECT_THROW(s.prune(other_model, 0.5), Error);
  EXPECT_EQ(s.model().parameter_count(), before);  // unchanged by the failed call

  const double level = s.prune(ChannelRanking::rank(m, {}), 0.5);
  EXPECT_NEAR(level, 0.5, 0.05);
  EXPECT_LT(s.model().parameter_count(), before);
  EXPECT_EQ(m.parameter_count(), before);  // the Model it came from keeps the unpruned network
  EXPECT_EQ(served.logits(x.images.data(), 1).size(), 4u);
  EXPECT_LT(s.memory().total, TrainingSession::preview(m, momentum_training()).memory.total);
  float first = 0, last = 0;
  for (int i = 0; i < 20; ++i) {
    const StepResult r = s.step(x.images.data(), x.labels.data());
    ASSERT_TRUE(std::isfinite(r.loss));
    (i == 0 ? first : last) = r.loss;
  }
  EXPECT_LT(last, first);
  EXPECT_EQ(s.steps_done(), 23);

  const std::string path =
      (std::filesystem::temp_directory_path() / ("edgetrain_api_prune_" + std::to_string(::getpid()) + ".ckpt"))
          .string();
  s.save_checkpoint(path, {{"level", "0.5"}});
  EXPECT_TRUE(TrainingSession::can_resume(path));
  TrainingSession r = TrainingSession::resume(path);
  EXPECT_EQ(r.steps_done(), 23);
  EXPECT_EQ(r.model().parameter_count(), s.model().parameter_count());
  s.step(x.images.data(), x.labels.data());
  r.step(x.images.data(), x.labels.data());
  expect_same_weights(s.model(), r.model());  // the sliced momentum was saved and restored
  s.model().save(path);
  EXPECT_FALSE(TrainingSession::can_resume(path));  // a model alone
  std::remove(path.c_str());
}

}  // namespace
}  // namespace edgetrain
