// The public API's contracts: what a device program can rely on. Public headers only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "api_test_util.hpp"

namespace edgetrain {
namespace {

using api_test::Batch;
using api_test::quadrant_batch;
using api_test::quadrant_dataset;
using api_test::small_model;

TrainingOptions small_training(int64_t batch = 8) {
  TrainingOptions t;
  t.batch = batch;
  t.optimizer.kind = Optimizer::sgd;
  t.optimizer.lr = 0.05;
  return t;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("edgetrain_api_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(Api, VersionIsTheProjectVersion) { EXPECT_STREQ(version(), EDGETRAIN_TEST_VERSION); }

TEST(Api, ClosedChoicesRoundTripByName) {
  for (Backend b : {Backend::automatic, Backend::onednn, Backend::native, Backend::reference})
    EXPECT_EQ(parse_backend(to_string(b)), b);
  for (Optimizer o : {Optimizer::sgd, Optimizer::adam, Optimizer::adamw}) EXPECT_EQ(parse_optimizer(to_string(o)), o);
  for (Schedule s : {Schedule::constant, Schedule::step, Schedule::cosine}) EXPECT_EQ(parse_schedule(to_string(s)), s);
  EXPECT_EQ(to_string(Backend::reference), "ref");
  EXPECT_EQ(to_string(Backend::native), "native");
  EXPECT_EQ(to_string(Optimizer::adamw), "adamw");
  EXPECT_THROW(parse_optimizer("sdg"), Error);
  EXPECT_THROW(parse_schedule("linear"), Error);
  EXPECT_THROW(parse_backend("gpu"), Error);
  for (Precision p : {Precision::f32, Precision::bf16, Precision::fx8, Precision::fx12, Precision::fx14, Precision::fx16,
                      Precision::muppet})
    EXPECT_EQ(parse_precision(to_string(p)), p);
  EXPECT_EQ(to_string(Precision::fx12), "fx12");
  EXPECT_THROW(parse_precision("fp16"), Error);
  EXPECT_THROW(parse_precision("fx4"), Error);
}

TEST(Api, ModelDescribesItselfAndItsParameters) {
  Model m = small_model();
  EXPECT_EQ(m.arch(), "fmnist-cnn");
  EXPECT_EQ(m.input_chw(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(m.num_classes(), 4);
  const ModelDescription d = m.describe();
  int64_t params = 0;
  for (const LayerInfo& l : d.layers) params += l.params;
  EXPECT_EQ(params, m.parameter_count());
  EXPECT_EQ(d.params, m.parameter_count());
  EXPECT_GT(d.macs, 0);
  const std::vector<ParameterInfo> p = m.parameters();
  ASSERT_FALSE(p.empty());
  std::vector<float> w = m.parameter(p[0].name);
  for (float& x : w) x = 0.25f;
  m.set_parameter(p[0].name, w);
  EXPECT_EQ(m.parameter(p[0].name), w);
  EXPECT_THROW(m.parameter("no.such.weight"), Error);
  EXPECT_THROW(m.set_parameter(p[0].name, std::vector<float>(3)), Error);
}

TEST(Api, BadInputThrowsError) {
  EXPECT_THROW(Model::load(temp_path("missing.ckpt")), Error);
  EXPECT_THROW(Model::zoo("no-such-net"), Error);
  Model m = small_model();
  TrainingOptions t = small_training();
  t.batch = 0;
  EXPECT_THROW(TrainingSession(m, t), Error);
  t = small_training();
  t.memory_budget = 1024;  // far below the weights alone
  EXPECT_THROW(TrainingSession(m, t), Error);
  t = small_training();
  t.trainable = Trainable::names({"nothing.matches.*"});
  EXPECT_THROW(TrainingSession(m, t), Error);
  EXPECT_THROW(Trainable::parse("last:x"), Error);
  for (double lr : {-1.0, std::nan("")}) {  // not replaced by the default rate: refused
    t = small_training();
    t.optimizer.lr = lr;
    EXPECT_THROW(TrainingSession(m, t), Error) << lr;
    EXPECT_THROW(TrainingSession::preview(m, t), Error) << lr;
  }
  EXPECT_THROW(Model::open("resnet-18"), Error);  // neither a zoo name nor a file
  const Batch b = quadrant_batch(8, 1);
  EXPECT_THROW(Dataset::from_arrays(b.images.data(), b.labels.data(), 8, {1, 28}), Error);
  TrainingSession s(m, small_training());
  std::vector<int32_t> bad = b.labels;
  bad[3] = 7;  // the model has 4 classes
  EXPECT_THROW(s.step(b.images.data(), bad.data()), Error);
  InferenceSession inf(m, {});
  EXPECT_THROW(inf.run(b.images.data(), 2), Error);  // max batch 1
  EXPECT_THROW(inf.run(b.images.data(), 0), Error);
  EXPECT_THROW(s.set_learning_rate(std::nan("")), Error);
  EXPECT_THROW(parse_bytes("12 parsecs"), Error);
  EXPECT_EQ(parse_bytes("2M"), 2u * 1024 * 1024);
}

// Sessions own what they execute: moving them, or moving and destroying the Model they came from,
// leaves them working.
TEST(Api, SessionsSurviveMovesAndTheirModelHandle) {
  const Batch b = quadrant_batch(8, 2);
  std::vector<TrainingSession> sessions;
  std::vector<InferenceSession> servers;
  {
    Model m = small_model();
    TrainingSession s(m, small_training());
    InferenceSession i(m, {});
    Model moved = std::move(m);
    sessions.push_back(std::move(s));
    servers.push_back(std::move(i));
  }  // every Model handle is gone
  TrainingSession s = std::move(sessions.back());
  sessions.clear();
  const StepResult r = s.step(b.images.data(), b.labels.data());
  EXPECT_TRUE(std::isfinite(r.loss));
  EXPECT_EQ(r.samples, 8);
  const float* logits = servers.back().run(b.images.data(), 1);
  EXPECT_TRUE(std::isfinite(logits[0]));
  EXPECT_EQ(s.model().num_classes(), 4);
}

TEST(Api, StepsLowerTheLossAndInferenceSeesTheTrainedWeights) {
  Model m = small_model();
  TrainingSession s(m, small_training());
  InferenceSession serve(m, {});
  const Batch b = quadrant_batch(8, 3);
  const std::vector<float> before = serve.logits(b.images.data(), 1);
  const float first = s.step(b.images.data(), b.labels.data()).loss;
  float last = first;
  for (int i = 0; i < 30; ++i) last = s.step(b.images.data(), b.labels.data()).loss;
  EXPECT_LT(last, 0.5f * first);
  EXPECT_EQ(s.steps_done(), 31);
  EXPECT_NE(serve.logits(b.images.data(), 1), before);  // the same Model, trained in place
}

TEST(Api, InferenceRunsSmallerBatchesOnItsPlanAndGrowsOnReserve) {
  Model m = small_model();
  InferenceOptions o;
  o.batch = 4;
  InferenceSession four(m, o);
  InferenceSession one(m, {});
  const Batch b = quadrant_batch(4, 4);
  const std::vector<float> l4 = four.logits(b.images.data(), 4);
  for (int64_t i = 0; i < 4; ++i) {
    const std::vector<float> l1 = one.logits(b.images.data() + i * 784, 1);
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(l1[static_cast<size_t>(k)], l4[static_cast<size_t>(i * 4 + k)], 1e-5f);
  }
  const std::vector<float> l2 = four.logits(b.images.data(), 2);  // fits: no recompile
  for (size_t k = 0; k < 8; ++k) EXPECT_EQ(l2[k], l4[k]);
  four.reserve(3);
  EXPECT_EQ(four.compiles(), 1);
  four.reserve(16);
  EXPECT_EQ(four.compiles(), 2);
  EXPECT_EQ(four.max_batch(), 16);
  const std::vector<float> p = four.probabilities(b.images.data(), 4);
  for (int64_t i = 0; i < 4; ++i) {
    double sum = 0;
    for (int k = 0; k < 4; ++k) sum += p[static_cast<size_t>(i * 4 + k)];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  const auto top = four.top_k(b.images.data(), 4, 2);
  ASSERT_EQ(top.size(), 4u);
  for (const auto& t : top) {
    ASSERT_EQ(t.size(), 2u);
    EXPECT_GE(t[0].probability, t[1].probability);
  }
}

TEST(Api, FitStopsWhenACallbackSaysSoOrWhenAsked) {
  Model m = small_model();
  TrainingSession s(m, small_training());
  const Dataset data = quadrant_dataset(64, 5);
  FitOptions f;
  f.epochs = 3;
  f.on_step = [](const StepProgress& p) { return p.step < 3; };
  FitResult r = s.fit(data, f);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(s.steps_done(), 3);
  EXPECT_EQ(s.epochs_done(), 0);
  f.on_step = [&](const StepProgress& p) {
    if (p.step == 2) s.request_stop();
    return true;
  };
  r = s.fit(data, f);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(s.steps_done(), 5);
  f.on_step = {};
  int epochs_seen = 0;
  f.on_epoch = [&](const EpochReport& e) {
    ++epochs_seen;
    return e.epoch < 2;
  };
  r = s.fit(data, f);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(epochs_seen, 2);
  EXPECT_EQ(s.epochs_done(), 2);
}

// A run interrupted after an epoch and resumed from its checkpoint ends bit for bit where a straight
// run ends: weights, and the optimizer state behind the next steps; a bf16 run resumes in bf16.
void resume_continues_a_run_exactly(Precision precision) {
  SCOPED_TRACE(to_string(precision));
  const Dataset data = quadrant_dataset(48, 6);
  TrainingOptions t = small_training();
  t.engine.precision = precision;
  t.optimizer.kind = Optimizer::adam;
  t.optimizer.lr = 1e-3;
  t.schedule = ScheduleOptions::over_epochs(Schedule::cosine, 2, 48 / 8);
  FitOptions f;
  f.epochs = 2;
  f.augment.horizontal_flip = true;

  Model straight = small_model();
  TrainingSession a(straight, t);
  a.fit(data, f);

  const std::string path = temp_path("resume.ckpt");
  Model first = small_model();
  TrainingSession b(first, t);
  FitOptions half = f;
  half.stop_after = 1;
  half.checkpoint = path;
  half.checkpoint_metadata = {{"note", "half"}};
  b.fit(data, half);
  EXPECT_EQ(b.epochs_done(), 1);
  TrainingSession c = TrainingSession::resume(path);
  EXPECT_EQ(c.metadata().at("note"), "half");
  EXPECT_EQ(c.epochs_done(), 1);
  EXPECT_EQ(c.steps_done(), 6);
  c.fit(data, f);
  for (const ParameterInfo& p : straight.parameters())
    EXPECT_EQ(straight.parameter(p.name), c.model().parameter(p.name)) << p.name;
  std::remove(path.c_str());
  Model plain = small_model();
  const std::string weights = temp_path("weights.ckpt");
  plain.save(weights);
  EXPECT_THROW(TrainingSession::resume(weights), Error);  // weights only: nothing to resume
  std::remove(weights.c_str());
}

TEST(Api, ResumeContinuesARunExactly) {
  resume_continues_a_run_exactly(Precision::f32);
  resume_continues_a_run_exactly(Precision::bf16);
}

// The muppet schedule resumes mid-pool exactly: the checkpoint after epoch 3 holds one pooled epoch of
// gradients, the regime and the decisions; the resumed run decides and trains as the straight one.
TEST(Api, MuppetScheduleResumesExactly) {
  const Dataset data = quadrant_dataset(48, 6);
  TrainingOptions t = small_training();
  t.engine.precision = Precision::muppet;
  t.precision_schedule = {2, 1};
  t.optimizer.kind = Optimizer::adam;
  t.optimizer.lr = 3e-3;
  FitOptions f;
  f.epochs = 8;
  Model straight = small_model();
  TrainingSession a(straight, t);
  EXPECT_EQ(a.precision(), Precision::fx8);
  a.fit(data, f);

  const std::string path = temp_path("muppet.ckpt");
  Model first = small_model();
  TrainingSession b(first, t);
  FitOptions part = f;
  part.stop_after = 3;
  part.checkpoint = path;
  b.fit(data, part);
  TrainingSession c = TrainingSession::resume(path);
  EXPECT_EQ(c.precision(), b.precision());
  c.fit(data, f);
  const std::vector<PrecisionDecision> da = a.precision_decisions(), dc = c.precision_decisions();
  ASSERT_EQ(da.size(), 8u);
  ASSERT_EQ(dc.size(), 8u);
  for (std::size_t i = 0; i < da.size(); ++i) {
    EXPECT_EQ(da[i].diversity, dc[i].diversity) << i;
    EXPECT_EQ(da[i].next, dc[i].next) << i;
  }
  EXPECT_EQ(a.precision(), c.precision());
  for (const ParameterInfo& p : straight.parameters())
    EXPECT_EQ(straight.parameter(p.name), c.model().parameter(p.name)) << p.name;
  std::remove(path.c_str());
  EXPECT_THROW(a.set_precision(Precision::f32), Error) << "the schedule decides";
}

// A precision switch recompiles the step and carries the run over: switching to fx8 and back to f32
// between epochs trains exactly as never switching.
TEST(Api, SwitchingPrecisionCarriesTheRunOver) {
  const Dataset data = quadrant_dataset(48, 6);
  TrainingOptions t = small_training();
  t.optimizer.kind = Optimizer::adam;
  FitOptions f;
  f.epochs = 2;
  Model straight = small_model(), switched = small_model();
  TrainingSession a(straight, t), b(switched, t);
  a.fit(data, f);
  f.stop_after = 1;
  b.fit(data, f);
  b.set_precision(Precision::fx8);
  EXPECT_EQ(b.precision(), Precision::fx8);
  EXPECT_LT(b.memory().activations, a.memory().activations);
  b.set_precision(Precision::f32);
  b.fit(data, f);
  EXPECT_EQ(b.steps_done(), a.steps_done());
  for (const ParameterInfo& p : straight.parameters())
    EXPECT_EQ(straight.parameter(p.name), switched.parameter(p.name)) << p.name;
  EXPECT_THROW(b.set_precision(Precision::muppet), Error);
}

TEST(Api, SaveLoadAndCloneKeepTheWeights) {
  Model m = small_model();
  TrainingSession s(m, small_training());
  const Batch b = quadrant_batch(8, 7);
  for (int i = 0; i < 3; ++i) s.step(b.images.data(), b.labels.data());  // weights now in the plan's layout
  const std::string path = temp_path("model.ckpt");
  m.save(path);
  const Model loaded = Model::load(path);
  const Model copy = m.clone();
  InferenceSession x(m, {}), y(loaded, {}), z(copy, {});
  EXPECT_EQ(x.logits(b.images.data(), 1), y.logits(b.images.data(), 1));
  EXPECT_EQ(x.logits(b.images.data(), 1), z.logits(b.images.data(), 1));
  EXPECT_EQ(loaded.mean(), m.mean());
  s.step(b.images.data(), b.labels.data());  // the clone is independent
  EXPECT_NE(x.logits(b.images.data(), 1), z.logits(b.images.data(), 1));
  std::remove(path.c_str());
}

TEST(Api, PreviewMatchesTheCompiledSession) {
  Model m = small_model();
  const TrainingOptions t = small_training(16);
  const PlanSummary preview = TrainingSession::preview(m, t);
  TrainingSession s(m, t);
  EXPECT_EQ(preview.memory.total, s.memory().total);
  EXPECT_EQ(preview.steps, s.plan().steps);
  EXPECT_GT(preview.memory.activations, 0u);
  ASSERT_EQ(static_cast<int64_t>(preview.step_list.size()), preview.steps);
  EXPECT_EQ(preview.step_list.front().pass, "fwd");
  EXPECT_EQ(preview.step_list.back().op, "Update");
  for (const StepInfo& st : preview.step_list)
    for (int b : st.buffers) ASSERT_LT(static_cast<size_t>(b), preview.buffers.size()) << st.name;
  for (size_t i = 0; i < preview.buffers.size(); ++i) {  // the reported plan is valid
    const BufferInfo& a = preview.buffers[i];
    EXPECT_LE(a.offset + a.bytes, preview.memory.arena) << a.label;
    for (size_t j = i + 1; j < preview.buffers.size(); ++j) {
      const BufferInfo& b = preview.buffers[j];
      const bool together = a.first_step <= b.last_step && b.first_step <= a.last_step && a.bytes && b.bytes;
      EXPECT_TRUE(!together || a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset)
          << a.label << " and " << b.label << " share bytes while both live";
    }
  }
  TrainingOptions frozen = t;
  frozen.trainable = Trainable::classifier();
  EXPECT_LT(TrainingSession::preview(m, frozen).memory.total, preview.memory.total);
}

TEST(Api, RetargetAndPruneReturnNewModels) {
  Model m = small_model();
  const Model six = m.with_num_classes(6);
  EXPECT_EQ(six.num_classes(), 6);
  EXPECT_EQ(m.num_classes(), 4);
  PruneOptions p;
  p.level = 0.5;
  const Model pruned = m.pruned(p);
  EXPECT_LT(pruned.parameter_count(), m.parameter_count());
  p.criterion = PruneCriterion::taylor;
  EXPECT_THROW(m.pruned(p), Error);  // a data criterion needs data
  const Model measured = m.pruned(p, quadrant_dataset(32, 8));
  EXPECT_LT(measured.parameter_count(), m.parameter_count());
}

}  // namespace
}  // namespace edgetrain
